using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using static OnnxKit.Tests.ModelIoFixtures;

namespace OnnxKit.Tests;

/// <summary>Load → Save of the fixtures in Tests/data keeps every byte, and ORT computes the same as before and as PyTorch did.</summary>
[TestClass]
public sealed class ModelIoRoundTripTests
{
    [TestMethod]
    public void FixturesArePresent()
    {
        var names = Models().Select(Path.GetFileName).ToArray();
        foreach (var expected in new[] { "torch_mlp.onnx", "torch_cnn.onnx", "torch_encoder.onnx", "torch_shape.onnx", "hand_if.onnx" })
            CollectionAssert.Contains(names, expected);
        foreach (var m in Models()) Assert.IsTrue(SamplesFor(m).Any(), $"{Path.GetFileName(m)} has no sample JSON beside it");
    }

    [TestMethod]
    public void LoadThenSaveIsByteIdentical()
    {
        using var tmp = new TempDir();
        foreach (var path in Models())
        {
            var original = File.ReadAllBytes(path);
            var copy = tmp[Path.GetFileName(path)];
            OnnxModel.Load(path).Save(copy);
            AssertBytesEqual(original, File.ReadAllBytes(copy), Path.GetFileName(path) + " (Load/Save)");
            CollectionAssert.AreEqual(new[] { Path.GetFileName(path) }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName).Where(f => f == Path.GetFileName(path) || f!.Contains(".tmp")).ToArray(),
                "a plain save writes only the model file (no data file, no temporary left)");
        }
    }

    [TestMethod]
    public void FromBytesThenToBytesIsByteIdentical()
    {
        foreach (var path in Models())
        {
            var original = File.ReadAllBytes(path);
            AssertBytesEqual(original, OnnxModel.FromBytes(original).ToBytes(), Path.GetFileName(path) + " (FromBytes/ToBytes)");
        }
    }

    [TestMethod]
    public void OrtGivesTheSameOutputsOnTheResavedModel()
    {
        using var tmp = new TempDir();
        foreach (var path in Models())
        {
            var copy = tmp[Path.GetFileName(path)];
            OnnxModel.Load(path).Save(copy);
            foreach (var sample in SamplesFor(path))
            {
                // Same session options on both sides (graph optimisations may change the last bits).
                var before = OrtRun.RunFile(path, sample.Inputs);
                AssertSameOutputs(before, OrtRun.RunFile(copy, sample.Inputs), Path.GetFileName(path) + " re-saved");
                var beforeUnoptimised = OrtRun.Run(File.ReadAllBytes(path), sample.Inputs);
                AssertSameOutputs(beforeUnoptimised, OrtRun.Run(OnnxModel.FromBytes(File.ReadAllBytes(path)), sample.Inputs), Path.GetFileName(path) + " via FromBytes/ToBytes");
            }
        }
    }

    [TestMethod]
    public void OrtMatchesTheStoredReferenceOutputs()
    {
        int checkedOutputs = 0;
        foreach (var path in Models())
            foreach (var sample in SamplesFor(path))
            {
                var outs = OrtRun.RunFile(path, sample.Inputs);
                foreach (var expected in sample.Outputs)
                {
                    Assert.IsTrue(outs.TryGetValue(expected.Name, out var actual), $"{Path.GetFileName(path)}: ORT gave no output '{expected.Name}'");
                    CollectionAssert.AreEqual(expected.Shape, actual.Shape, $"{Path.GetFileName(path)}: shape of '{expected.Name}'");
                    Compare.Close(expected.Doubles, actual.Doubles, 1e-5, 0, $"{Path.GetFileName(path)} '{expected.Name}' vs {sample.Reference}");
                    checkedOutputs++;
                }
            }
        Assert.IsTrue(checkedOutputs >= 7, $"only {checkedOutputs} reference outputs were compared");
    }

    private static void AssertBytesEqual(byte[] expected, byte[] actual, string what)
    {
        int n = Math.Min(expected.Length, actual.Length), at = 0;
        while (at < n && expected[at] == actual[at]) at++;
        if (at < n || expected.Length != actual.Length)
            Assert.Fail($"{what}: {expected.Length} bytes became {actual.Length}; first difference at byte {at}");
    }
}
