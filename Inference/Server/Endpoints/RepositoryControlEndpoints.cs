using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>
/// The repository extension's model control: <c>POST /v2/repository/models/{name}/load</c> and <c>/unload</c>
/// (200 with an empty object when done). Refused with 409 unless the server runs with <c>--model-control explicit</c>.
/// </summary>
internal static class RepositoryControlEndpoints
{
    public static void Map(WebApplication app, ServerContext s)
    {
        app.MapPost("/v2/repository/models/{name}/load", ctx => Handle(ctx, s, load: true));
        app.MapPost("/v2/repository/models/{name}/unload", ctx => Handle(ctx, s, load: false));
    }

    private static async Task Handle(HttpContext ctx, ServerContext s, bool load)
    {
        try
        {
            Apply(s, (string)ctx.Request.RouteValues["name"]!, load);
            await Json.WriteAsync(ctx, 200, w => { w.WriteStartObject(); w.WriteEndObject(); });
        }
        catch (Exception e) { await Errors.WriteAsync(ctx, e); }
    }

    /// <summary>Loads or unloads a model (shared by REST and gRPC); failures as <see cref="ProtocolException"/> or the repository's exceptions.</summary>
    public static void Apply(ServerContext s, string name, bool load)
    {
        if (name.Length == 0) throw new ProtocolException(400, "the model name is empty");
        try
        {
            if (load) s.Repository.LoadModel(name);
            else s.Repository.UnloadModel(name);
        }
        catch (InvalidOperationException e) { throw new ProtocolException(409, e.Message); }
    }
}
