using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// A loss: emits, into the graph its inputs belong to, the nodes that compare a prediction with a target.
/// The trainer declares a target input of <see cref="TargetType"/>, calls <see cref="Compute"/> and differentiates
/// the result; the nodes are standard ONNX operators only, so any runtime can run and differentiate them.
/// </summary>
public abstract class Loss
{
    /// <summary>Sets the reduction.</summary>
    protected Loss(Reduction reduction) => Reduction = reduction;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss's name, Keras style (e.g. <c>sparse_categorical_crossentropy</c>); also the name scope of its nodes.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The type of the target input the trainer must declare, given the prediction's type (e.g. int64 [batch] for
    /// sparse cross-entropy on float [batch, C]). Throws <see cref="GraphBuildException"/> for a prediction the loss cannot take.
    /// </summary>
    public abstract TensorType TargetType(TensorType prediction);

    /// <summary>
    /// Emits the loss from the prediction and target values of the same graph: a scalar unless the reduction is
    /// <see cref="Reduction.None"/>. A target whose type does not fit <see cref="TargetType"/> fails naming the loss and the type expected.
    /// </summary>
    public abstract Value Compute(Value prediction, Value target);

    /// <summary>
    /// The type of the value <see cref="Compute"/> returns: a scalar of the prediction's float type, or with
    /// <see cref="Reduction.None"/> one loss per element (per sample and position for class losses).
    /// </summary>
    public TensorType OutputType(TensorType prediction) =>
        new(prediction.ElementType.IsFloat() ? prediction.ElementType : ElementType.Float32,
            Reduction == Reduction.None ? PerElementShape(prediction) : Shape.Scalar);

    /// <summary>The shape of the unreduced loss: the prediction's, or for class losses the prediction's without axis 1.</summary>
    protected virtual Shape? PerElementShape(TensorType prediction) => prediction.Shape;

    /// <summary>
    /// Gives the result the type of <see cref="OutputType"/> where inference could not type it (an operator without an
    /// shape rule), so a trainer can declare the loss output whatever rules are registered.
    /// </summary>
    protected Value Finish(Value loss, Value prediction)
    {
        if (loss.Type.ElementType == ElementType.Undefined || loss.Type.Shape is null) loss.Type = OutputType(prediction.Type);
        return loss;
    }

    /// <summary>What the target should hold, in words, for error messages (e.g. "class indices").</summary>
    protected virtual string TargetDescription => "values of the prediction's type and shape";

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (reduction {Reduction})";

    /// <summary>
    /// Checks a prediction and target against <see cref="TargetType"/> as far as their types are known (an unknown
    /// element type or dimension passes; the runtime decides) and opens the loss's name scope.
    /// </summary>
    protected IDisposable Begin(Value prediction, Value target)
    {
        if (!ReferenceEquals(prediction.Builder, target.Builder))
            throw new GraphBuildException($"loss '{Name}': prediction '{prediction.Name}' and target '{target.Name}' belong to different graphs");
        var p = prediction.Type;
        if (p.ElementType != ElementType.Undefined && !p.ElementType.IsFloat())
            throw new GraphBuildException($"loss '{Name}': prediction '{prediction.Name}' must be a float tensor, got {p}");
        var expected = TargetType(p);
        var actual = target.Type;
        if (!ElementTypeFits(expected.ElementType, actual.ElementType) || !ShapeFits(expected.Shape, actual.Shape))
            throw new GraphBuildException(
                $"loss '{Name}': target '{target.Name}' is {actual}, expected {expected} ({TargetDescription}) for prediction '{prediction.Name}' {p}");
        return prediction.Builder.Scope(Name);
    }

    private static bool ElementTypeFits(ElementType expected, ElementType actual) =>
        expected == ElementType.Undefined || actual == ElementType.Undefined || expected == actual
        // ONNX's class-index operators take int32 labels as well as PyTorch's int64.
        || (expected == ElementType.Int64 && actual == ElementType.Int32);

    private static bool ShapeFits(Shape? expected, Shape? actual)
    {
        if (expected is null || actual is null) return true;
        if (expected.Rank != actual.Rank) return false;
        for (int k = 0; k < expected.Rank; k++) if (!expected[k].Compatible(actual[k])) return false;
        return true;
    }
}
