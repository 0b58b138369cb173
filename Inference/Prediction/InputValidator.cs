using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxKit.Inference;

/// <summary>
/// The one check of a request against the model's declared inputs before it reaches ONNX Runtime: every name known and
/// present, element types equal, ranks equal, fixed dimensions equal (symbolic ones take any size, but the same
/// symbol must have the same size across inputs), and data length equal to the product of the shape.
/// Every failure is an <see cref="ArgumentException"/> naming the model, the input and what was expected (the server
/// answers it with a 400). Protocol decoders call <see cref="CheckDeclared"/> as they meet each input, because its
/// element type decides how the data is decoded; <see cref="Validate"/> runs the whole check once per request.
/// </summary>
public static class InputValidator
{
    /// <summary>
    /// The declaration of input <paramref name="name"/>, which must exist and have element type <paramref name="type"/>
    /// (any, where null: a decoder that could not read the datatype reports that itself).
    /// </summary>
    /// <exception cref="ArgumentException">No such input, or another element type.</exception>
    public static TensorInfo CheckDeclared(string model, ModelInfo info, string name, TensorElementType? type)
    {
        var spec = info.Input(name) ?? throw new ArgumentException($"model '{model}' has no input '{name}'; its inputs are: {string.Join(", ", info.Inputs)}");
        if (type is { } t && t != spec.ElementType)
            throw new ArgumentException($"model '{model}': input '{name}': datatype {ElementTypes.ProtocolName(t)} does not match the model, which expects {spec.ProtocolDatatype} with shape {spec.ShapeText} ({ElementTypes.OnnxName(spec.ElementType)}, got {ElementTypes.OnnxName(t)})");
        return spec;
    }

    /// <summary>Checks <paramref name="inputs"/> against <paramref name="info"/>, the declaration of model <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The first mismatch found, named.</exception>
    public static void Validate(string model, ModelInfo info, IReadOnlyDictionary<string, TensorValue> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var (name, t) in inputs)
            CheckDeclared(model, info, name, t?.ElementType); // a known name without a value is reported as missing below
        Dictionary<string, (long Size, string Input)>? symbols = null;
        foreach (var spec in info.Inputs)
        {
            if (!inputs.TryGetValue(spec.Name, out var t) || t is null)
                throw new ArgumentException($"model '{model}': input '{spec}' is missing");
            var shape = t.Shape;
            if (shape.Length != spec.Dimensions.Length)
                throw new ArgumentException($"model '{model}': input '{spec.Name}' must have rank {spec.Dimensions.Length} (shape {spec.ShapeText}), got shape {TensorValue.ShapeText(shape)}");
            for (int i = 0; i < shape.Length; i++)
            {
                if (shape[i] < 0)
                    throw new ArgumentException($"model '{model}': input '{spec.Name}' has negative dimension {i} in shape {TensorValue.ShapeText(shape)}");
                if (spec.Dimensions[i] >= 0 && shape[i] != spec.Dimensions[i])
                    throw new ArgumentException($"model '{model}': input '{spec.Name}' dimension {i} must be {spec.Dimensions[i]} (shape {spec.ShapeText}), got shape {TensorValue.ShapeText(shape)}");
                if (spec.Dimensions[i] < 0 && spec.SymbolicDimensions.Length > i && spec.SymbolicDimensions[i] is { Length: > 0 } sym)
                {
                    symbols ??= [];
                    if (symbols.TryGetValue(sym, out var seen) && seen.Size != shape[i])
                        throw new ArgumentException($"model '{model}': input '{spec.Name}' dimension {i} ('{sym}') is {shape[i]} but input '{seen.Input}' has '{sym}' = {seen.Size}");
                    symbols[sym] = (shape[i], spec.Name);
                }
            }
            long needed = TensorValue.ShapeCount(shape), have = t.DataLength;
            if (needed != have)
                throw new ArgumentException($"model '{model}': input '{spec.Name}' with shape {TensorValue.ShapeText(shape)} needs {needed} elements, its data has {have}");
        }
    }
}
