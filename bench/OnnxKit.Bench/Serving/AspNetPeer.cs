using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxKit.Bench.Serving;

/// <summary>
/// The peer: the endpoint a .NET team writes in an afternoon, written plainly as the ASP.NET Core and ONNX Runtime
/// documentation show it: a minimal API, one <see cref="InferenceSession"/> shared by every request (default options),
/// the request read into a <see cref="JsonDocument"/>, the tensor built as a <see cref="DenseTensor{T}"/> and run with
/// <see cref="NamedOnnxValue"/>, the answer written by <see cref="Results.Json(object?, JsonSerializerOptions?, string?, int?)"/>.
/// It takes the same KServe v2 JSON request as the server so one load client drives both.
/// </summary>
internal static class AspNetPeer
{
    public const string ModeArgument = "--peer-mode";

    /// <summary>Serves <c>MODEL_PATH PORT</c> until killed.</summary>
    public static int Run(string[] args)
    {
        string modelPath = args[0];
        int port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var session = new InferenceSession(modelPath);

        app.MapPost("/v2/models/{name}/infer", async (string name, HttpRequest request) =>
        {
            using var doc = await JsonDocument.ParseAsync(request.Body);
            var input = doc.RootElement.GetProperty("inputs")[0];
            int[] shape = input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            float[] data = input.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var tensor = new DenseTensor<float>(data, shape);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.GetProperty("name").GetString()!, tensor)]);
            var outputs = results.Select(r =>
            {
                var t = r.AsTensor<float>();
                return new { name = r.Name, datatype = "FP32", shape = t.Dimensions.ToArray(), data = t.ToArray() };
            }).ToArray();
            return Results.Json(new { model_name = name, outputs });
        });
        app.MapGet("/v2/health/ready", () => Results.Json(new { ready = true }));
        app.Run($"http://127.0.0.1:{port}");
        return 0;
    }
}
