using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>Gathers entries of <paramref name="x"/> along an axis at <paramref name="indices"/>.</summary>
    public static Value Gather(Value x, Value indices, int axis = 0) => B(x).Node1("Gather", [x, indices], Attr.Int("axis", axis));
    /// <summary>Gathers elementwise along an axis (indices have the rank of x).</summary>
    public static Value GatherElements(Value x, Value indices, int axis = 0) => B(x).Node1("GatherElements", [x, indices], Attr.Int("axis", axis));
    /// <summary>Scatters <paramref name="updates"/> into a copy of <paramref name="x"/> (reduction none/add/mul).</summary>
    public static Value ScatterElements(Value x, Value indices, Value updates, int axis = 0, string reduction = "none")
    {
        var attrs = new List<AttributeProto> { Attr.Int("axis", axis) };
        if (reduction != "none") attrs.Add(Attr.String("reduction", reduction));
        return B(x).Node("ScatterElements", [x, indices, updates], 1, attrs)[0];
    }
    /// <summary>One-hot encoding: indices → [..., depth] with off/on values.</summary>
    public static Value OneHot(Value indices, long depth, Value offOn, int axis = -1) =>
        B(indices).Node1("OneHot", [indices, B(indices).Int64s(depth), offOn], Attr.Int("axis", axis));
}
