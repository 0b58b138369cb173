using OnnxKit.IR;
using OnnxKit.Training.Checkpoints;
using OnnxKit.Training.Session;

namespace OnnxKit.Interop.Weights;

/// <summary>
/// Weights in PyTorch's state_dict form: every parameter and buffer of a module under its full name
/// (<c>layer1.conv1.weight</c>, <c>bn1.running_mean</c>), saved as safetensors, which PyTorch loads with
/// <c>model.load_state_dict(...)</c> after a few lines of reading (or <c>safetensors.torch.load_file</c>).
/// Modules made from PyTorch exports keep the exporter's initializer names, which are the state_dict names except
/// for weights the exporter renamed (<c>onnx::…</c>); <see cref="NonStateDictNames"/> lists those.
/// </summary>
public static class StateDict
{
    /// <summary>The module's parameters and buffers as named float32 tensors, in declaration order.</summary>
    public static List<NamedTensor> Tensors(Module model) =>
        model.Parameters().Select(p => NamedTensor.FromFloats(p.FullName, p.Data, p.Shape)).ToList();

    /// <summary>Copies a training session's current parameters and buffers into the module (after training).</summary>
    public static void CopyFrom(Module model, TrainingSession session)
    {
        var state = session.State();
        foreach (var p in model.Parameters())
            if (state.TryGetValue(p.FullName, out var t)) p.Data = t.ToFloats();
    }

    /// <summary>Writes the module's weights to a safetensors file (atomically), with optional string metadata.</summary>
    public static void Save(Module model, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Write(path, Tensors(model), metadata ?? new Dictionary<string, string> { ["format"] = "pt" });

    /// <summary>
    /// Loads weights from a safetensors file into the module by name. Every parameter and buffer must be present
    /// with its shape; tensors the module does not have are ignored only when <paramref name="strict"/> is false.
    /// </summary>
    public static void Load(Module model, string path, bool strict = true)
    {
        var (tensors, _) = SafeTensors.Read(path);
        var byName = tensors.ToDictionary(t => t.Name);
        var mine = model.Parameters().ToList();
        foreach (var p in mine)
        {
            if (!byName.TryGetValue(p.FullName, out var t)) throw new InvalidDataException($"'{path}' has no tensor '{p.FullName}' (shape [{string.Join(", ", p.Shape)}])");
            if (!t.Shape.SequenceEqual(p.Shape)) throw new InvalidDataException($"'{path}': tensor '{p.FullName}' has shape [{string.Join(", ", t.Shape)}], the model expects [{string.Join(", ", p.Shape)}]");
        }
        if (strict)
        {
            var extra = byName.Keys.Except(mine.Select(p => p.FullName)).Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
            if (extra.Count > 0) throw new InvalidDataException($"'{path}' has tensors the model does not: {string.Join(", ", extra.Take(8))}");
        }
        foreach (var p in mine) p.Data = byName[p.FullName].ToFloats();
    }

    /// <summary>Names that are not PyTorch state_dict names (exporter-generated <c>onnx::…</c> or graph-path names), with why.</summary>
    public static List<string> NonStateDictNames(Module model) =>
        model.Parameters().Select(p => p.FullName)
            .Where(n => n.StartsWith("onnx::", StringComparison.Ordinal) || n.Contains('/') || n.Contains(':'))
            .Select(n => $"'{n}' was named by the exporter, not after a module attribute; map it by hand when loading into PyTorch")
            .ToList();
}
