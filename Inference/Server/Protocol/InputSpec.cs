using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>What every protocol (JSON, binary, gRPC) reads of an input's name and datatype before decoding its data.</summary>
internal static class InputSpec
{
    /// <summary>
    /// The element type <paramref name="datatype"/> names, checked against the model's declaration of input
    /// <paramref name="name"/> by the one input validator before the data is decoded in it; 400 naming what is wrong.
    /// </summary>
    public static (TensorInfo Spec, TensorElementType Type) Check(string model, ModelInfo info, string name, string datatype)
    {
        bool known = ElementTypes.TryParseProtocolName(datatype, out var type);
        var spec = InputValidator.CheckDeclared(model, info, name, known ? type : null);
        if (!known) throw Bad($"input '{name}': unknown datatype '{datatype}'; supported: {string.Join(", ", ElementTypes.ProtocolNames)}");
        return (spec, type);
    }

    /// <summary>Checks that output <paramref name="name"/> exists; 400 naming the model's outputs.</summary>
    public static void CheckOutput(string model, ModelInfo info, string name)
    {
        if (info.Output(name) is null) throw Bad($"model '{model}' has no output '{name}'; its outputs are: {string.Join(", ", info.Outputs)}");
    }

    private static ProtocolException Bad(string message) => new(400, message);
}
