using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Shapes;

/// <summary>One graph: its opset, how to build it, and whether some inferred sizes may stay unknown (data-dependent ops).</summary>
internal sealed record ShapeCase(int Opset, Func<GraphBuilder, Value[]> Build, bool DataDependent = false);

/// <summary>Inputs and constants for the shape-rule cases.</summary>
internal static class ShapeInputs
{
    public static Value X(GraphBuilder g, string name, params long[] shape) => g.Input(name, ElementType.Float32, shape.Select(Dim.Of).ToArray());
    public static Value W(GraphBuilder g, params long[] shape) => g.Constant(TensorData.FromFloats("", Random(shape.Aggregate(1L, (a, b) => a * b), 7), shape));
    public static Value Ints(GraphBuilder g, long[] data, params long[] shape) => g.Constant(TensorData.FromInt64s("", data, shape));
    public static Value F(GraphBuilder g, float v) => g.Scalar(v);
    public static Value[] N(GraphBuilder g, string op, Value?[] inputs, int outputs = 1, params Schema.AttributeProto[] attrs) =>
        g.Node(op, inputs, outputs, attrs);

    public static float[] Random(long n, int seed)
    {
        var r = new System.Random(seed);
        return Enumerable.Range(0, (int)n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }
}

/// <summary>
/// A shape rule against ONNX Runtime: the case builds a tiny graph with concrete input shapes, runs it on random data,
/// and the shape and element type inferred for each output must equal what ORT produced.
/// </summary>
internal static class ShapeCheck
{
    public static void AgainstOrt(string name, ShapeCase c)
    {
        var g = new GraphBuilder("case", c.Opset);
        var outputs = c.Build(g);
        foreach (var o in outputs) g.Output(o);
        var model = g.Build();
        var feeds = model.Graph.Inputs.Select((i, k) =>
        {
            var t = TensorType.FromProto(i.Type)!;
            var shape = t.Shape!.ToArray();
            return HostTensor.F32(i.Name, ShapeInputs.Random(shape.Aggregate(1L, (a, b) => a * b), 100 + k), shape);
        }).ToArray();
        var actual = OrtRun.Run(model, feeds);
        foreach (var o in outputs)
        {
            var got = actual[o.Name];
            var inferred = o.Type;
            Assert.AreEqual(got.Type, inferred.ElementType, $"{name}: element type of '{o.Name}'");
            Assert.IsNotNull(inferred.Shape, $"{name}: rank of '{o.Name}' not inferred (ORT gave [{string.Join(", ", got.Shape)}])");
            string expected = "[" + string.Join(", ", got.Shape) + "]";
            Assert.AreEqual(got.Shape.Length, inferred.Shape.Rank, $"{name}: '{o.Name}' inferred {inferred.Shape}, ORT gave {expected}");
            for (int k = 0; k < got.Shape.Length; k++)
            {
                var d = inferred.Shape[k];
                if (c.DataDependent && d.IsUnknown) continue;
                Assert.IsTrue(d.IsKnown && d.Value == got.Shape[k], $"{name}: '{o.Name}' inferred {inferred.Shape}, ORT gave {expected}");
            }
        }
    }

    /// <summary>The operators a case's graph contains.</summary>
    public static IEnumerable<string> Operators(ShapeCase c)
    {
        var g = new GraphBuilder("case", c.Opset);
        c.Build(g);
        return g.Graph.Nodes.Select(n => n.OpType).Distinct();
    }
}
