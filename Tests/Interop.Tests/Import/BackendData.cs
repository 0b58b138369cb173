using OnnxKit.Inference;
using OnnxKit.IR;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Import;

/// <summary>
/// The ONNX project's backend test data (third-party, beside the repository): <c>pytorch-converted</c> and
/// <c>pytorch-operator</c> cases (model.onnx + test_data_set_N/input_K.pb, output_K.pb) and the <c>light</c> models.
/// Found at ../shared/interop/onnx-backend-data from the repository root, or where ONNXKIT_BACKEND_DATA says.
/// </summary>
internal static class BackendData
{
    public static string Root => Environment.GetEnvironmentVariable("ONNXKIT_BACKEND_DATA") is { Length: > 0 } p
        ? p : Path.GetFullPath(Path.Combine(Python.RepoRoot, "..", "shared", "interop", "onnx-backend-data"));

    public static string? Folder(string name) => Directory.Exists(Path.Combine(Root, name)) ? Path.Combine(Root, name) : null;

    /// <summary>Skips the calling test (inconclusive) where the folder is absent.</summary>
    public static string Require(string name) => Folder(name)
        ?? throw new AssertInconclusiveException($"ONNX backend test data folder '{name}' not found under '{Root}' (set ONNXKIT_BACKEND_DATA to the onnx-backend-data folder)");

    /// <summary>Case folder names of a folder (one [DynamicData] row each; a single placeholder row where the folder is absent).</summary>
    public static IEnumerable<object[]> Cases(string folder)
    {
        var dir = Folder(folder);
        if (dir is null) { yield return [folder, "(absent)"]; yield break; }
        foreach (var d in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            yield return [folder, Path.GetFileName(d)];
    }

    public static IEnumerable<object[]> LightModels()
    {
        var dir = Folder("light");
        if (dir is null) { yield return ["(absent)"]; yield break; }
        foreach (var f in Directory.GetFiles(dir, "*.onnx").Order(StringComparer.Ordinal))
            yield return [Path.GetFileNameWithoutExtension(f)];
    }

    public static TensorProto ReadTensor(string path) => TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));

    /// <summary>The test data sets of a case: inputs and expected outputs, in index order.</summary>
    public static IEnumerable<(string Name, List<TensorProto> Inputs, List<TensorProto> Outputs)> DataSets(string caseDir)
    {
        foreach (var set in Directory.GetDirectories(caseDir, "test_data_set_*").Order(StringComparer.Ordinal))
        {
            List<TensorProto> Read(string prefix) => Enumerable.Range(0, 1000)
                .Select(k => Path.Combine(set, $"{prefix}_{k}.pb")).TakeWhile(File.Exists).Select(ReadTensor).ToList();
            yield return (Path.GetFileName(set), Read("input"), Read("output"));
        }
    }

    public static TensorValue ToValue(TensorProto t)
    {
        var dims = t.Dims.ToArray();
        return (ElementType)t.DataType switch
        {
            ElementType.Float32 => TensorValue.FromFloats(TensorData.ToFloatArray(t), dims),
            ElementType.Float64 => TensorValue.FromDoubles(TensorData.ToDoubleArray(t), dims),
            ElementType.Int64 => TensorValue.FromInt64s(TensorData.ToInt64Array(t), dims),
            ElementType.Int32 => TensorValue.FromInt32s(TensorData.ToInt64Array(t).Select(x => (int)x).ToArray(), dims),
            ElementType.Bool => TensorValue.FromBools(TensorData.Read<byte>(t).Select(b => b != 0).ToArray(), dims),
            var other => throw new NotSupportedException($"tensor '{t.Name}' of type {other.OnnxName()}"),
        };
    }

    /// <summary>The graph inputs a caller feeds (initializers excluded), in order.</summary>
    public static List<ValueInfoProto> FedInputs(OnnxModel m)
    {
        var inits = m.Graph.Initializers.Select(i => i.Name).ToHashSet();
        return m.Graph.Inputs.Where(i => !inits.Contains(i.Name)).ToList();
    }
}
