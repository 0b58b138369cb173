using System.Diagnostics;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Interop.Import;
using OnnxKit.IR;
using OnnxKit.Tests.Interop.Import;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Fuzz;

/// <summary>
/// Seeded fuzzing of everything that reads a model file: <see cref="OnnxModel.Load"/>, <see cref="ModelImporter.Import"/>
/// and <see cref="Predictor.Load"/>. Every mutant must either load or fail with the documented exception
/// (<see cref="OnnxModelException"/> for the loader and importer, <see cref="ModelLoadException"/> for the
/// predictor), a weight redirected outside the model's folder must be refused by all three (so nothing is read
/// there), and each case must finish within 5 s (a guard against hangs, not a speed measurement).
/// </summary>
[TestClass]
public sealed class LoaderFuzzTests
{
    private const int Mutants = 2000;
    private const int Seed = 20261205;
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(5);

    /// <summary>The shipped models, the test fixtures and (where present) small backend-test models.</summary>
    private static List<(string Name, byte[] Bytes)> Sources()
    {
        var files = new List<string>();
        files.AddRange(Directory.GetFiles(Path.Combine(Python.RepoRoot, "models"), "model.onnx", SearchOption.AllDirectories));
        files.AddRange(Directory.GetFiles(Path.Combine(Python.RepoRoot, "Tests", "data"), "*.onnx"));
        if (BackendData.Folder("pytorch-operator") is { } ops)
            files.AddRange(Directory.GetFiles(ops, "model.onnx", SearchOption.AllDirectories)
                .Where(f => new FileInfo(f).Length < 16 << 10).Order(StringComparer.Ordinal).Take(24));
        return files.Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(Path.GetFullPath(Path.Combine(Python.RepoRoot, "..")), f), File.ReadAllBytes(f))).ToList();
    }

    [TestMethod]
    public void MutatedModelsFailOnlyWithDocumentedExceptions()
    {
        var sources = Sources();
        string root = Directory.CreateTempSubdirectory("onnxkit-fuzz-").FullName;
        try
        {
            // Bytes outside every case folder that a traversal would read; large enough for any slice a mutant asks for.
            string canary = Path.Combine(root, "canary.bin");
            File.WriteAllBytes(canary, Enumerable.Repeat((byte)0x5A, 1 << 20).ToArray());
            var mutator = new ModelMutator(Seed, canary);
            var tally = new FuzzTally();
            var total = Stopwatch.StartNew();
            var options = new PredictorOptions { IntraOpThreads = 1, Name = "fuzz", WarmUp = true, LogLevel = Microsoft.ML.OnnxRuntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            for (int i = 0; i < Mutants; i++)
            {
                var m = mutator.Next(sources[i % sources.Count]);
                string dir = Path.Combine(root, "case" + i);
                Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, ModelMutator.DataFile), new byte[ModelMutator.DataFileBytes]);
                if (m.LinkInside is { } link) File.CreateSymbolicLink(Path.Combine(dir, link), canary);
                string path = Path.Combine(dir, "model.onnx");
                File.WriteAllBytes(path, m.Bytes);
                var clock = Stopwatch.StartNew();
                string where = $"case {i} ({m.Kind} of {m.Source})";

                OnnxModel? model = null;
                tally.Run("loader", m, where, () => model = OnnxModel.Load(path), e => e is OnnxModelException);
                if (model is not null)
                    tally.Run("importer", m, where, () => ModelImporter.Import(model), e => e is OnnxModelException);
                tally.Run("predictor", m, where, () => Predictor.Load(path, options).Dispose(), e => e is ModelLoadException);

                tally.Elapsed(m, where, clock.Elapsed, CaseLimit);
                Directory.Delete(dir, true);
            }
            Console.WriteLine($"{Mutants} mutants of {sources.Count} models (seed {Seed}) in {total.Elapsed.TotalSeconds:F1} s");
            Console.Write(tally.Report());
            Assert.AreEqual(0, tally.Violations.Count, string.Join("\n", tally.Violations.Take(20)));
        }
        finally { Directory.Delete(root, true); }
    }
}
