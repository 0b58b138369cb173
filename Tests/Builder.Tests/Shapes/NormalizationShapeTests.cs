using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using static OnnxKit.Tests.Shapes.ShapeInputs;

namespace OnnxKit.Tests.Shapes;

/// <summary>The shape rules of the Normalization family against ONNX Runtime (see <see cref="ShapeCheck"/>).</summary>
[TestClass]
public sealed class NormalizationShapeTests
{
    internal static readonly Dictionary<string, ShapeCase> Cases = new()
    {
        ["BatchNormalization"] = new(17, g => [Op.BatchNormalization(X(g, "x", 2, 3, 4, 4), W(g, 3), W(g, 3), W(g, 3), Op.Abs(W(g, 3)))]),
        ["BatchNormalization training, 3 outputs"] = new(15, g => Op.BatchNormalizationTraining(X(g, "x", 4, 3, 2), W(g, 3), W(g, 3), W(g, 3), Op.Abs(W(g, 3)))),
        ["LayerNormalization Y, Mean, InvStdDev"] = new(17, g => N(g, "LayerNormalization", [X(g, "x", 2, 3, 4), W(g, 4), W(g, 4)], 3, Attr.Int("axis", -1))),
        ["LayerNormalization axis 1"] = new(17, g => N(g, "LayerNormalization", [X(g, "x", 2, 3, 4), W(g, 3, 4)], 3, Attr.Int("axis", 1))),
        ["InstanceNormalization"] = new(17, g => [Op.InstanceNormalization(X(g, "x", 2, 3, 5), W(g, 3), W(g, 3))]),
        ["GroupNormalization"] = new(21, g => N(g, "GroupNormalization", [X(g, "x", 2, 4, 3), W(g, 4), W(g, 4)], 1, Attr.Int("num_groups", 2))),
        ["Dropout training with mask"] = new(17, g => Op.Dropout(X(g, "x", 3, 4), 0.3, training: true)),
        ["LRN"] = new(17, g => N(g, "LRN", [X(g, "x", 1, 5, 3, 3)], 1, Attr.Int("size", 3))),
        ["Dropout ratio attribute (opset 10)"] = new(10, g => N(g, "Dropout", [X(g, "x", 3, 4)], 2, Attr.Float("ratio", 0.2f))),
        ["Dropout inference, mask"] = new(17, g => Op.Dropout(X(g, "x", 3, 4), 0.5, training: false)),
        ["MeanVarianceNormalization"] = new(17, g => N(g, "MeanVarianceNormalization", [X(g, "x", 2, 3, 4, 5)])),
        ["LpNormalization"] = new(17, g => N(g, "LpNormalization", [X(g, "x", 2, 3, 4)], 1, Attr.Int("axis", 1))),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void InferredTypeMatchesOnnxRuntime(string name) => ShapeCheck.AgainstOrt(name, Cases[name]);
}
