using System.Text.Json;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>
/// <c>POST /v2/models/{name}[/versions/{v}]/explain</c>: the infer request's <c>inputs</c> (one float input) plus
/// <c>parameters</c> (<c>method</c>, <c>target</c>, <c>steps</c>, <c>baseline</c>, <c>rule</c>); answers the attributions as one output
/// tensor <c>attributions</c> of the input's shape in the protocol's tensor format, and the explained <c>targets</c>.
/// Binary data in and out as for <c>infer</c>: inputs after the JSON header, and the attributions as raw float32 after the
/// response's JSON header when the request sets <c>parameters.binary_data_output</c> or the output's <c>binary_data</c>.
/// </summary>
internal static class ExplainEndpoint
{
    public const string OutputName = "attributions";

    public static void Map(WebApplication app, ServerContext s)
    {
        app.MapPost("/v2/models/{name}/explain", ctx => InferEndpoints.Handle(ctx, s, "explain", Explain));
        app.MapPost("/v2/models/{name}/versions/{version}/explain", ctx => InferEndpoints.Handle(ctx, s, "explain", Explain));
    }

    private static async Task Explain(HttpContext ctx, ServerContext s, ServedModel model, PredictorLease lease, ReadOnlyMemory<byte> body, Func<Task<Prediction>, Task<Prediction>> run)
    {
        var provider = s.Options.Attributions
            ?? throw new ProtocolException(404, "explain is not available on this server: it was started without an attribution provider (onnxkit serve has one; the server-only image does not)");
        var (json, binary) = Body.Split(ctx, body);
        var request = InferRequest.Parse(json, binary, model.Name, lease.Predictor.Info, model.Config.AllowNan, [OutputName]);
        // The same check infer makes before ONNX Runtime: the provider runs its own graphs and would otherwise read a
        // mis-shaped batch as something else.
        lease.Predictor.Validate(request.Inputs);
        if (request.Inputs.Count != 1) throw new ProtocolException(400, $"explain takes exactly one input tensor, got {request.Inputs.Count}");
        var (inputName, tensor) = request.Inputs.First();
        if (tensor.Data is not float[] data) throw new ProtocolException(400, $"input '{inputName}' is {ElementTypes.ProtocolName(tensor.ElementType)}; explain needs FP32");
        var parameters = Parameters(json);
        // Gradient graphs run for seconds, not milliseconds: off the request thread, still under the request's timeout.
        ExplainResult result;
        try
        {
            result = await Task.Run(() => provider.Explain(lease.Version.Path, inputName, data, tensor.Shape, parameters), ctx.RequestAborted)
                .WaitAsync(s.Options.RequestTimeout, ctx.RequestAborted);
        }
        catch (TimeoutException)
        {
            throw new ProtocolException(504, $"model '{model.Name}': the explanation took longer than the {s.Options.RequestTimeout.TotalMilliseconds:0} ms timeout (fewer steps, or a smaller batch)");
        }
        var attributions = new Dictionary<string, TensorValue> { [OutputName] = TensorValue.FromFloats(result.Attributions, result.Shape) };
        await InferResponse.WriteAsync(ctx, model.Name, lease.Version.Version, request, attributions, w =>
        {
            w.WriteString("method", parameters.Method);
            w.WriteStartArray("targets");
            foreach (var t in result.Targets) w.WriteNumberValue(t);
            w.WriteEndArray();
        });
    }

    private static ExplainParameters Parameters(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("parameters", out var p) || p.ValueKind != JsonValueKind.Object)
            return new ExplainParameters("integrated-gradients", null, null, null);
        string? Text(string name) => !p.TryGetProperty(name, out var v) ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString() : throw new ProtocolException(400, $"parameter '{name}' must be a string");
        int? Integer(string name) => !p.TryGetProperty(name, out var v) ? null
            : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new ProtocolException(400, $"parameter '{name}' must be an integer, got {v.GetRawText()}");
        return new ExplainParameters(Text("method") ?? "integrated-gradients", Integer("target"), Integer("steps"), Text("baseline"), Text("rule"));
    }
}
