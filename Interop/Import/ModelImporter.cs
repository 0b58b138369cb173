using OnnxKit.IR;

namespace OnnxKit.Interop.Import;

/// <summary>
/// Loads an ONNX model from any exporter (PyTorch, tf2onnx, …; opset 1 and later, with external data) and prepares it
/// for OnnxKit: checks its structure (dangling inputs, cycles, external data outside the model's folder), upgrades it to
/// the canonical opset (<see cref="OpsetUpgrader"/>), folds constant shape computations (<see cref="ConstantFolder"/>),
/// runs shape inference and reports what cannot be trained (<see cref="TrainabilityReport"/>). Nodes of other domains
/// (<c>ai.onnx.ml</c>, custom operators) pass through untouched.
/// </summary>
public static class ModelImporter
{
    /// <summary>Loads and imports a <c>.onnx</c> file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxModelException">The file is not a valid model; the message names the file, node or value at fault.</exception>
    public static ImportedModel Load(string path, ImportOptions? options = null)
    {
        OnnxModel model = OnnxModel.Load(path);
        try { return Import(model, options); }
        catch (OnnxModelException e) { throw new OnnxModelException($"'{path}': {e.Message}", e); }
    }

    /// <summary>Imports a model already in memory (changed in place and returned in the result).</summary>
    public static ImportedModel Import(OnnxModel model, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImportOptions();
        long sourceOpset = model.Opset, sourceIr = model.IrVersion;
        if (sourceOpset == 0) throw new OnnxModelException($"model '{model.Graph.Name}' imports no standard (ai.onnx) operator set; expected an opset_import with domain \"\"");
        var changes = new List<string>();
        if (GraphOrder.CheckAndSort(model.Graph)) changes.Add("nodes put in topological order");
        changes.AddRange(OpsetUpgrader.Upgrade(model, options.TargetOpset));
        int folded = options.FoldConstants ? ConstantFolder.Fold(model) : 0;
        if (folded > 0) changes.Add($"{folded} values folded into constants");
        return new ImportedModel
        {
            Model = model,
            SourceOpset = sourceOpset,
            SourceIrVersion = sourceIr,
            Changes = changes,
            FoldedValues = folded,
            ShapeIssues = ShapeIssues(model),
            Trainability = options.AnalyzeTrainability ? TrainabilityReport.Analyze(model) : null,
        };
    }

    /// <summary>
    /// Runs shape inference over every standard node and lists those whose inputs do not fit their operator (with the
    /// shape rule's message) and the graph outputs whose type could not be derived.
    /// </summary>
    public static IReadOnlyList<string> ShapeIssues(OnnxModel model)
    {
        var issues = new List<string>();
        GraphBuilder b;
        try { b = GraphBuilder.Attach(model); }
        catch (GraphBuildException e) { return [e.Message]; }
        foreach (var n in model.Graph.Nodes)
        {
            if (n.Domain is not ("" or "ai.onnx")) continue;
            try { ShapeInference.Infer(b, n, n.Inputs.Select(i => i.Length == 0 ? null : b[i].Type).ToArray()); }
            catch (GraphBuildException e) { issues.Add(e.Message); }
        }
        foreach (var o in model.Graph.Outputs)
            if (b.Has(o.Name) && b[o.Name].Type is { } t && (t.ElementType == ElementType.Undefined || t.Shape is null))
                issues.Add($"output '{o.Name}': type not inferred ({t})");
        return issues;
    }
}
