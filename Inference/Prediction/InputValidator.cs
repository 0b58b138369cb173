namespace OnnxKit.Inference;

/// <summary>
/// Checks a request against the model's declared inputs before it reaches ONNX Runtime: every name known and
/// present, element types equal, ranks equal, fixed dimensions equal (symbolic ones take any size, but the same
/// symbol must have the same size across inputs), and data length equal to the product of the shape.
/// Every failure is an <see cref="ArgumentException"/> naming the model, the input and what was expected.
/// </summary>
internal static class InputValidator
{
    public static void Validate(string model, ModelInfo info, IReadOnlyDictionary<string, TensorValue> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var name in inputs.Keys)
            if (info.Input(name) is null)
                throw new ArgumentException($"model '{model}' has no input '{name}'; its inputs are: {string.Join(", ", info.Inputs)}");
        Dictionary<string, (long Size, string Input)>? symbols = null;
        foreach (var spec in info.Inputs)
        {
            if (!inputs.TryGetValue(spec.Name, out var t) || t is null)
                throw new ArgumentException($"model '{model}': input '{spec}' is missing");
            if (t.ElementType != spec.ElementType)
                throw new ArgumentException($"model '{model}': input '{spec.Name}' must be {ElementTypes.OnnxName(spec.ElementType)} ({spec.ProtocolDatatype}), got {ElementTypes.OnnxName(t.ElementType)} ({ElementTypes.ProtocolName(t.ElementType)})");
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
