using OnnxKit.IR;

namespace OnnxKit;

/// <summary>
/// A named input of a <see cref="FunctionalModel"/> (Keras' <c>keras.Input(shape, dtype, name)</c>): the element type and the
/// shape of one sample; the graph input is <c>[batch, …SampleShape]</c>. Integer inputs carry token or category ids (into
/// <see cref="Embedding"/>), float inputs features.
/// </summary>
/// <param name="Name">The graph input's name (also the key of its array in a <c>NamedDataset</c>).</param>
/// <param name="ElementType">Element type of the input.</param>
/// <param name="SampleShape">Shape of one sample (the batch dimension is added).</param>
public sealed record ModelInput(string Name, ElementType ElementType, int[] SampleShape)
{
    /// <summary>A float32 input of samples shaped <paramref name="sampleShape"/>.</summary>
    public static ModelInput Float32(string name, params int[] sampleShape) => new(name, ElementType.Float32, sampleShape);

    /// <summary>An int64 input (token or category ids) of samples shaped <paramref name="sampleShape"/>.</summary>
    public static ModelInput Int64(string name, params int[] sampleShape) => new(name, ElementType.Int64, sampleShape);

    /// <summary>The graph input's type: a symbolic <c>batch</c> dimension followed by the sample shape.</summary>
    public TensorType Type => new(ElementType, new Shape([Dim.Sym("batch"), .. SampleShape.Select(d => Dim.Of(d))]));

    /// <summary>The sample shape as text, for messages.</summary>
    public string Describe() => $"{ElementType.OnnxName()} [{string.Join(", ", SampleShape)}]";
}
