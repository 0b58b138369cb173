using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>The checks every protocol (JSON, binary, gRPC) makes of an input's name and datatype, with one wording.</summary>
internal static class InputSpec
{
    /// <summary>The model's declaration of input <paramref name="name"/> and the element type <paramref name="datatype"/> names; 400 naming what is wrong.</summary>
    public static (TensorInfo Spec, TensorElementType Type) Check(string model, ModelInfo info, string name, string datatype)
    {
        var spec = info.Input(name) ?? throw Bad($"model '{model}' has no input '{name}'; its inputs are: {string.Join(", ", info.Inputs)}");
        if (!ElementTypes.TryParseProtocolName(datatype, out var type))
            throw Bad($"input '{name}': unknown datatype '{datatype}'; supported: {string.Join(", ", ElementTypes.ProtocolNames)}");
        if (type != spec.ElementType)
            throw Bad($"input '{name}': datatype {ElementTypes.ProtocolName(type)} does not match the model, which expects {spec.ProtocolDatatype} with shape {spec.ShapeText}");
        return (spec, type);
    }

    /// <summary>Checks that output <paramref name="name"/> exists; 400 naming the model's outputs.</summary>
    public static void CheckOutput(string model, ModelInfo info, string name)
    {
        if (info.Output(name) is null) throw Bad($"model '{model}' has no output '{name}'; its outputs are: {string.Join(", ", info.Outputs)}");
    }

    private static ProtocolException Bad(string message) => new(400, message);
}
