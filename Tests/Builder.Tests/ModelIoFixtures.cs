using System.Text.Json;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>The fixtures in Tests/data (see its README): models and their sample inputs with reference outputs.</summary>
internal static class ModelIoFixtures
{
    public static string DataDir => Path.Combine(Python.RepoRoot, "Tests", "data");

    /// <summary>Every .onnx file under Tests/data.</summary>
    public static string[] Models() => Directory.GetFiles(DataDir, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    /// <summary>A sample: inputs to feed and the reference outputs, from NAME.json.</summary>
    public sealed record Sample(string Reference, HostTensor[] Inputs, HostTensor[] Outputs);

    /// <summary>The samples that belong to a model: NAME.json and NAME_*.json beside NAME.onnx.</summary>
    public static IEnumerable<Sample> SamplesFor(string modelPath)
    {
        string dir = Path.GetDirectoryName(modelPath)!, name = Path.GetFileNameWithoutExtension(modelPath);
        return Directory.GetFiles(dir, name + "*.json").Order(StringComparer.Ordinal)
            .Where(f => Path.GetFileNameWithoutExtension(f) == name || Path.GetFileNameWithoutExtension(f).StartsWith(name + "_", StringComparison.Ordinal))
            .Select(ReadSample);
    }

    public static Sample ReadSample(string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var root = doc.RootElement;
        HostTensor[] Read(string key) => root.GetProperty(key).EnumerateArray().Select(Decode).ToArray();
        return new Sample(root.GetProperty("reference").GetString()!, Read("inputs"), Read("outputs"));
    }

    private static HostTensor Decode(JsonElement e)
    {
        string name = e.GetProperty("name").GetString()!;
        long[] shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        byte[] bytes = Convert.FromBase64String(e.GetProperty("data").GetString()!);
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => HostTensor.F32(name, Cast<float>(bytes), shape),
            "float64" => HostTensor.F64(name, Cast<double>(bytes), shape),
            "int64" => HostTensor.I64(name, Cast<long>(bytes), shape),
            "bool" => new HostTensor(name, ElementType.Bool, shape, bytes.Select(b => b != 0).ToArray()),
            var t => throw new InvalidDataException($"{name}: dtype '{t}' is not supported by the fixture reader"),
        };
    }

    private static T[] Cast<T>(byte[] bytes) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes).ToArray();

    /// <summary>A fresh temporary folder, deleted by Dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "onnxkit-io-" + Guid.NewGuid().ToString("N"));
        public TempDir() => Directory.CreateDirectory(Path);
        public string this[string file] => System.IO.Path.Combine(Path, file);
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }

    /// <summary>Asserts two ORT result sets are the same tensors (names, shapes, exact values).</summary>
    public static void AssertSameOutputs(Dictionary<string, HostTensor> expected, Dictionary<string, HostTensor> actual, string what)
    {
        Microsoft.VisualStudio.TestTools.UnitTesting.CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), $"{what}: output names");
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Microsoft.VisualStudio.TestTools.UnitTesting.CollectionAssert.AreEqual(e.Shape, a.Shape, $"{what}: shape of '{name}'");
            Compare.Close(e.Doubles, a.Doubles, 0, 0, $"{what}: '{name}'");
        }
    }
}
