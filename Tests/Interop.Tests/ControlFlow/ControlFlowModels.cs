using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Tests.Interop.ControlFlow;

/// <summary>
/// Small imported-style models with control flow, input <c>x [batch, 4]</c>, float weights as initializers of the main
/// graph that the subgraphs read by name: a data-dependent If, a Loop of constant trip count with a scan output, a Scan
/// over a known length, and two that cannot be trained through (a Loop whose trip count comes from the data, an If whose
/// branch uses an operator without gradient rule).
/// </summary>
internal static class ControlFlowModels
{
    public static readonly string[] Names = ["mlp", "if", "if-threshold", "loop", "scan", "loop-dynamic", "if-no-rule"];
    public static readonly string[] Trainable = ["mlp", "if", "if-threshold", "loop", "scan"];

    // No dimensions given: the shape is left undeclared (subgraph values).
    private static ValueInfoProto Info(string name, ElementType t, params Dim[] dims) =>
        new() { Name = name, Type = new TensorType(t, dims.Length == 0 ? null : new Shape(dims)).ToProto() };

    private static ValueInfoProto Scalar(string name, ElementType t) => new() { Name = name, Type = new TensorType(t, new Shape()).ToProto() };

    private static GraphProto Body(string name, IEnumerable<ValueInfoProto> inputs, IEnumerable<Node> nodes, IEnumerable<ValueInfoProto> outputs, IEnumerable<Initializer>? inits = null)
    {
        var g = new Graph { Name = name };
        g.Inputs.AddRange(inputs); g.Nodes.AddRange(nodes); g.Outputs.AddRange(outputs);
        if (inits is not null) g.Initializers.AddRange(inits);
        return g.ToProto();
    }

    public static OnnxModel Build(string name, ElementType t = ElementType.Float32)
    {
        var m = new OnnxModel { IrVersion = 8, ProducerName = "test" };
        m.Opsets[""] = 17;
        m.Opsets["custom"] = 1;
        var g = m.Graph;
        g.Name = name;
        var b = Dim.Sym("batch");
        g.Inputs.Add(Info("x", t, b, Dim.Of(4)));
        var rnd = new Random(11);
        Initializer W(string n, params long[] dims)
        {
            var v = Enumerable.Range(0, (int)dims.Aggregate(1L, (a, d) => a * d)).Select(_ => rnd.NextDouble() - 0.5).ToArray();
            return new Initializer(t == ElementType.Float64 ? TensorData.FromDoubles(n, v, dims) : TensorData.FromFloats(n, v.Select(d => (float)d).ToArray(), dims));
        }
        g.Initializers.Add(W("w1", 4, 3));
        g.Initializers.Add(W("w2", 4, 3));
        g.Initializers.Add(W("r", 3, 3));
        g.Initializers.Add(W("a", 1));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("three", [3])));
        // The If's threshold: a Constant node as PyTorch writes it, or (if-threshold) a float initializer as tf2onnx does,
        // which only a comparison reads (no gradient reaches it).
        if (name == "if-threshold") g.Initializers.Add(new Initializer(TensorData.Scalar("zero", t, 0)));
        else g.Nodes.Add(new Node("Constant", [], ["zero"], attributes: [Attr.Tensor("value", TensorData.Scalar("", t, 0))]));
        g.Initializers.Add(new Initializer(TensorData.FromInt64s("axis1", [1], 1)));
        var y = Info("y", t, b, Dim.Of(3));
        switch (name)
        {
            case "mlp":
                g.Nodes.Add(new Node("MatMul", ["x", "w1"], ["h"]));
                g.Nodes.Add(new Node("Tanh", ["h"], ["y"]));
                break;
            case "if" or "if-threshold" or "if-no-rule":
                g.Nodes.Add(new Node("ReduceSum", ["x"], ["total"], attributes: [Attr.Int("keepdims", 0)]));
                g.Nodes.Add(new Node("Greater", ["total", "zero"], ["positive"]));
                var thenOp = name == "if-no-rule" ? new Node("Foo", ["t0"], ["ty"], domain: "custom") : new Node("Tanh", ["t0"], ["ty"]);
                g.Nodes.Add(new Node("If", ["positive"], ["y"], "/block/If", attributes:
                [
                    Attr.Graph("then_branch", Body("then", [], [new Node("MatMul", ["x", "w1"], ["t0"]), thenOp], [Info("ty", t)])),
                    Attr.Graph("else_branch", Body("else", [], [new Node("MatMul", ["x", "w2"], ["e0"]), new Node("Mul", ["e0", "a"], ["ey"])], [Info("ey", t)])),
                ]));
                break;
            case "loop" or "loop-dynamic":
                g.Nodes.Add(new Node("MatMul", ["x", "w1"], ["h0"]));
                string trip = "three";
                if (name == "loop-dynamic")
                {
                    g.Nodes.Add(new Node("Shape", ["x"], ["xshape"]));
                    g.Nodes.Add(new Node("ReduceMax", ["xshape"], ["trip"], attributes: [Attr.Int("keepdims", 0)]));
                    trip = "trip";
                }
                g.Nodes.Add(new Node("Loop", [trip, "", "h0"], ["y", "hs"], "/rnn/Loop", attributes:
                [
                    Attr.Graph("body", Body("step", [Scalar("i", ElementType.Int64), Scalar("c", ElementType.Bool), Info("h", t)],
                    [
                        new Node("MatMul", ["h", "r"], ["hr"]), new Node("Add", ["hr", "h0"], ["pre"]), new Node("Tanh", ["pre"], ["hn"]),
                        new Node("Identity", ["c"], ["cn"]), new Node("Identity", ["hn"], ["hout"]),
                    ], [Scalar("cn", ElementType.Bool), Info("hn", t), Info("hout", t)])),
                ]));
                g.Outputs.Add(y);
                g.Outputs.Add(Info("hs", t, Dim.Unknown, b, Dim.Of(3)));
                return m;
            case "scan":
                g.Nodes.Add(new Node("MatMul", ["x", "w1"], ["u"]));
                g.Nodes.Add(new Node("ReduceSum", ["u", "axis1"], ["s0"], attributes: [Attr.Int("keepdims", 0)]));
                g.Nodes.Add(new Node("Mul", ["s0", "zero"], ["init"]));
                g.Nodes.Add(new Node("Scan", ["init", "u"], ["last", "y"], "/acc/Scan", attributes:
                [
                    Attr.Int("num_scan_inputs", 1), Attr.Ints("scan_input_axes", [1]), Attr.Ints("scan_output_axes", [1]),
                    Attr.Graph("body", Body("acc", [Info("s", t), Info("ut", t)],
                        [new Node("Mul", ["s", "a"], ["sa"]), new Node("Add", ["sa", "ut"], ["pre"]), new Node("Tanh", ["pre"], ["sn"]), new Node("Identity", ["sn"], ["out"])],
                        [Info("sn", t), Info("out", t)])),
                ]));
                g.Outputs.Add(y);
                return m;
        }
        g.Outputs.Add(y);
        return m;
    }
}
