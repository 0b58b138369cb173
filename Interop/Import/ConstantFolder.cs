using Microsoft.ML.OnnxRuntime;
using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Interop.Import;

/// <summary>
/// Replaces values that are the same on every run by <c>Constant</c> nodes: the shape arithmetic exporters write
/// (Shape → Gather → Unsqueeze → Concat → Reshape …) where shape inference already knows the numbers, and any small
/// deterministic node whose inputs are all constants, evaluated once on ONNX Runtime. Nodes left without readers are
/// removed. Weights (initializers) are never folded into nodes, so they stay trainable.
/// </summary>
public static class ConstantFolder
{
    /// <summary>Results larger than this (elements) are not folded: folding is for shapes and small constants.</summary>
    public const long MaxFoldedElements = 4096;

    // Operators whose result differs between runs, or that have side inputs folding cannot see.
    private static readonly HashSet<string> NotFoldable = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial", "Dropout",
        "If", "Loop", "Scan", "SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceAt", "SplitToSequence",
        "ConcatFromSequence", "Optional", "OptionalGetElement", "OptionalHasElement", "Constant",
        // A filled tensor is cheap to compute and would only make the file larger as a constant.
        "ConstantOfShape",
    };

    /// <summary>Folds <paramref name="model"/> in place and returns how many values became constants.</summary>
    public static int Fold(OnnxModel model)
    {
        int total = 0;
        // Each round can make more shapes known (a Reshape's target became constant), so repeat until nothing changes.
        for (int round = 0; round < 4; round++)
        {
            int folded = FoldKnownShapeValues(model) + FoldConstantNodes(model);
            RemoveDeadNodes(model.Graph);
            total += folded;
            if (folded == 0) break;
        }
        return total;
    }

    // Int64 values whose every entry shape inference knows as a number.
    private static int FoldKnownShapeValues(OnnxModel model)
    {
        GraphBuilder b;
        try { b = GraphBuilder.Attach(model); }
        catch (GraphBuildException) { return 0; }
        var outputs = model.Graph.Outputs.Select(o => o.Name).ToHashSet();
        int folded = 0;
        var nodes = model.Graph.Nodes;
        for (int k = 0; k < nodes.Count; k++)
        {
            var n = nodes[k];
            if (n.OpType == "Constant" || n.Domain is not ("" or "ai.onnx") || n.Outputs.Count != 1 || outputs.Contains(n.Outputs[0])) continue;
            string name = n.Outputs[0];
            if (b.ShapeValue(name) is not { } entries || entries.Any(e => e.Number is null)) continue;
            var type = b[name].Type;
            if (type.ElementType is not (ElementType.Int64 or ElementType.Int32) || type.Rank is not (0 or 1)) continue;
            var values = entries.Select(e => e.Number!.Value).ToArray();
            var t = type.ElementType == ElementType.Int64
                ? TensorData.FromInt64s("", values, type.Rank == 0 ? [] : [values.Length])
                : TensorData.FromInt32s("", values.Select(v => (int)v).ToArray(), type.Rank == 0 ? [] : [values.Length]);
            nodes[k] = ConstantNode(n, t);
            folded++;
        }
        return folded;
    }

    // Small nodes whose inputs are all constants, evaluated together in one ONNX Runtime session.
    private static int FoldConstantNodes(OnnxModel model)
    {
        var g = model.Graph;
        GraphBuilder b;
        try { b = GraphBuilder.Attach(model); }
        catch (GraphBuildException) { return 0; }
        var constant = new HashSet<string>(g.Nodes.Where(n => n.OpType == "Constant" && n.Domain is "" or "ai.onnx").SelectMany(n => n.Outputs));
        // Small non-float initializers (shapes, axes, indices) count as constants for folding; float initializers are
        // weights, which folding would freeze, and an initializer that is also a graph input may be overridden.
        var inputs = g.Inputs.Select(i => i.Name).ToHashSet();
        var smallInits = g.Initializers.Where(i => !inputs.Contains(i.Name) && !i.ElementType.IsFloat() && i.ElementCount <= MaxFoldedElements)
            .Select(i => i.Name).ToHashSet();
        constant.UnionWith(smallInits);
        var foldable = new List<Node>();
        foreach (var n in g.Nodes)
        {
            if (n.OpType == "Constant" || NotFoldable.Contains(n.OpType) || n.Domain is not ("" or "ai.onnx")) continue;
            if (n.Inputs.Count == 0 || !n.Inputs.All(i => i.Length == 0 || constant.Contains(i))) continue;
            if (n.Attributes.Any(a => a.G is not null || a.Graphs.Count > 0)) continue;
            if (!n.Outputs.All(o => o.Length == 0 || b[o].Shape?.ElementCount is long c && c <= MaxFoldedElements)) continue;
            foldable.Add(n);
            foreach (var o in n.Outputs) if (o.Length > 0) constant.Add(o);
        }
        if (foldable.Count == 0) return 0;
        var values = Evaluate(model, foldable, constant);
        if (values is null) return 0;
        int folded = 0;
        var set = foldable.ToHashSet();
        var graphOutputs = g.Outputs.Select(o => o.Name).ToHashSet();
        for (int k = 0; k < g.Nodes.Count; k++)
        {
            var n = g.Nodes[k];
            if (!set.Contains(n) || n.Outputs.Count != 1 || graphOutputs.Contains(n.Outputs[0]) || !values.TryGetValue(n.Outputs[0], out var t)) continue;
            g.Nodes[k] = ConstantNode(n, t);
            folded++;
        }
        return folded;
    }

    // Runs the foldable nodes (with the constants they read) and returns their outputs, or null where ORT refuses them.
    private static Dictionary<string, TensorProto>? Evaluate(OnnxModel model, List<Node> foldable, HashSet<string> constant)
    {
        var g = model.Graph;
        var sub = new OnnxModel { IrVersion = model.IrVersion };
        foreach (var kv in model.Opsets) sub.Opsets[kv.Key] = kv.Value;
        sub.Graph.Name = "fold";
        var needed = foldable.SelectMany(n => n.Inputs).Where(i => i.Length > 0).ToHashSet();
        foreach (var n in g.Nodes.Where(n => n.OpType == "Constant" && n.Outputs.Any(needed.Contains))) sub.Graph.Nodes.Add(n);
        foreach (var i in g.Initializers.Where(i => needed.Contains(i.Name))) sub.Graph.Initializers.Add(i);
        sub.Graph.Nodes.AddRange(foldable);
        var outs = foldable.Where(n => n.Outputs.Count == 1).Select(n => n.Outputs[0]).ToList();
        foreach (var o in outs) sub.Graph.Outputs.Add(new ValueInfoProto { Name = o });
        try
        {
            using var opts = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(sub.ToBytes(), opts);
            using var results = session.Run(new RunOptions(), [], [], outs);
            var map = new Dictionary<string, TensorProto>();
            for (int k = 0; k < outs.Count; k++)
                if (ToProto(results[k]) is { } t) map[outs[k]] = t;
            return map;
        }
        catch (OnnxRuntimeException) { return null; }
    }

    private static TensorProto? ToProto(OrtValue v)
    {
        if (!v.IsTensor) return null;
        var info = v.GetTensorTypeAndShape();
        var dims = info.Shape;
        return info.ElementDataType switch
        {
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => TensorData.FromSpan<float>("", ElementType.Float32, v.GetTensorDataAsSpan<float>(), dims),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Double => TensorData.FromSpan<double>("", ElementType.Float64, v.GetTensorDataAsSpan<double>(), dims),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => TensorData.FromSpan<long>("", ElementType.Int64, v.GetTensorDataAsSpan<long>(), dims),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int32 => TensorData.FromSpan<int>("", ElementType.Int32, v.GetTensorDataAsSpan<int>(), dims),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Bool => TensorData.FromSpan<byte>("", ElementType.Bool, System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(v.GetTensorDataAsSpan<bool>()), dims),
            _ => null,
        };
    }

    private static Node ConstantNode(Node replaced, TensorProto value) =>
        new("Constant", [], [replaced.Outputs[0]], name: replaced.Name, attributes: [Attr.Tensor("value", value)]) { DocString = $"folded from {replaced.OpType}" };

    /// <summary>Removes nodes none of whose outputs is read or is a graph output (repeatedly).</summary>
    public static int RemoveDeadNodes(Graph graph)
    {
        int removed = 0;
        while (true)
        {
            var used = graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs.Select(o => o.Name)).ToHashSet();
            // Nodes with subgraphs may read outer values implicitly.
            foreach (var n in graph.Nodes) foreach (var a in n.Attributes) if (a.G is not null || a.Graphs.Count > 0) used.UnionWith(OuterNames(a));
            int k = graph.Nodes.RemoveAll(n => n.Domain is "" or "ai.onnx" && !n.Outputs.Any(o => o.Length > 0 && used.Contains(o)));
            if (k == 0) return removed;
            removed += k;
        }
    }

    private static IEnumerable<string> OuterNames(AttributeProto a)
    {
        var graphs = a.Graphs.ToList();
        if (a.G is not null) graphs.Add(a.G);
        return graphs.SelectMany(g => g.Node.SelectMany(n => n.Input.Concat(n.Attribute.SelectMany(OuterNames))));
    }
}
