using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// Graph pieces the losses share. Constants take the prediction's element type (float32 or float64), never the
/// type of an intermediate value, whose type may be unknown where no shape rule covers its operator.
/// </summary>
internal static class LossMath
{
    /// <summary>The float type constants are made in: the prediction's, float32 where it is unknown.</summary>
    public static ElementType FloatType(Value prediction) =>
        prediction.ElementType.IsFloat() ? prediction.ElementType : ElementType.Float32;

    /// <summary>A scalar constant of element type <paramref name="et"/>.</summary>
    public static Value C(GraphBuilder g, double v, ElementType et) => g.Scalar(v, et);

    /// <summary>A 1-D constant (class weights, positive weights) of element type <paramref name="et"/>.</summary>
    public static Value Vector(GraphBuilder g, double[] values, ElementType et) => et switch
    {
        ElementType.Float64 => g.Constant(TensorData.FromDoubles("", values, values.Length)),
        ElementType.Float32 => g.Constant(TensorData.FromFloats("", values.Select(v => (float)v).ToArray(), values.Length)),
        _ => throw new GraphBuildException($"loss constants of element type {et.OnnxName()} are not supported (float32 or float64 predictions)"),
    };

    /// <summary>Reduces per-element losses of an elementwise loss (every element counts once).</summary>
    public static Value Reduce(Value perElement, Reduction reduction, Value prediction, ElementType et) => reduction switch
    {
        Reduction.None => perElement,
        Reduction.Sum => Op.ReduceSum(perElement, null, keepDims: false),
        Reduction.Mean => Op.ReduceMean(perElement, null, keepDims: false),
        Reduction.BatchMean => Op.Div(Op.ReduceSum(perElement, null, keepDims: false), DimSize(prediction, 0, et)),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "unknown reduction"),
    };

    /// <summary>The size of one dimension of <paramref name="x"/> as a scalar of type <paramref name="et"/>: a constant where known.</summary>
    public static Value DimSize(Value x, int axis, ElementType et)
    {
        var g = x.Builder;
        if (x.Shape is { } s && axis < s.Rank && s[axis].IsKnown) return C(g, s[axis].Value!.Value, et);
        return Op.Cast(Op.Gather(Op.Shape(x), g.Scalar(axis, ElementType.Int64)), et);
    }

    /// <summary>log x clamped below at −100, as PyTorch's binary_cross_entropy does, so a zero probability gives a finite loss.</summary>
    public static Value ClampedLog(Value x, ElementType et) => Op.Max(Op.Log(x), C(x.Builder, -100, et));

    /// <summary>
    /// The type of class-index targets for a prediction [N, C, d1…]: int64 [N, d1…]. Fails for a prediction of rank below 2.
    /// </summary>
    public static TensorType ClassIndexType(TensorType prediction, string lossName)
    {
        if (prediction.Shape is null) return new TensorType(ElementType.Int64, null);
        if (prediction.Shape.Rank < 2)
            throw new GraphBuildException($"loss '{lossName}': the prediction must be [N, C] or [N, C, d1, …] (classes on axis 1), got {prediction}");
        return new TensorType(ElementType.Int64, new Shape(prediction.Shape.Where((_, k) => k != 1)));
    }

    /// <summary>Checks class weights against the number of classes (axis 1) where it is known.</summary>
    public static void CheckClassWeights(double[]? weights, Value prediction, string lossName)
    {
        if (weights is null || prediction.Shape is not { Rank: >= 2 } s || !s[1].IsKnown) return;
        if (weights.Length != s[1].Value)
            throw new GraphBuildException($"loss '{lossName}': {weights.Length} class weights given for prediction '{prediction.Name}' {prediction.Type} with {s[1].Value} classes on axis 1");
    }

    /// <summary>Class weights [C] shaped [C, 1, …] to broadcast against a tensor [N, C, d1…] of the given rank.</summary>
    public static Value ClassAxisWeights(Value weights, Value prediction, string lossName)
    {
        if (prediction.Rank is not { } rank)
            throw new GraphBuildException($"loss '{lossName}': class weights need the rank of prediction '{prediction.Name}', which is unknown");
        return rank == 2 ? weights : Op.Reshape(weights, [-1, .. Enumerable.Repeat(1L, rank - 2)]);
    }

    /// <summary>The ONNX reduction attribute for the fused class losses (batch-mean is a sum divided afterwards).</summary>
    public static string OnnxReduction(Reduction r) => r switch
    {
        Reduction.Mean => "mean",
        Reduction.None => "none",
        Reduction.Sum or Reduction.BatchMean => "sum",
        _ => throw new ArgumentOutOfRangeException(nameof(r), r, "unknown reduction"),
    };
}
