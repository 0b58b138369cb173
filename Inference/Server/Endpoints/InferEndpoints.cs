using System.Diagnostics;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary><c>POST /v2/models/{name}[/versions/{v}]/infer</c> and <c>.../classify</c>.</summary>
internal static class InferEndpoints
{
    public static void Map(WebApplication app, ServerContext s)
    {
        app.MapPost("/v2/models/{name}/infer", ctx => Handle(ctx, s, "infer", Infer));
        app.MapPost("/v2/models/{name}/versions/{version}/infer", ctx => Handle(ctx, s, "infer", Infer));
        app.MapPost("/v2/models/{name}/classify", ctx => Handle(ctx, s, "classify", ClassifyEndpoint.Classify));
        app.MapPost("/v2/models/{name}/versions/{version}/classify", ctx => Handle(ctx, s, "classify", ClassifyEndpoint.Classify));
    }

    /// <summary>The work of one inference endpoint given the body, a lease and a deadline.</summary>
    public delegate Task Work(HttpContext ctx, ServerContext s, ServedModel model, PredictorLease lease, ReadOnlyMemory<byte> body, Func<Task<Prediction>, Task<Prediction>> run);

    /// <summary>
    /// Common frame: request timeout (504), metrics, error mapping, and a lease that outlives a timed-out
    /// request until its queued work has finished (so a hot swap never frees a model that is still running).
    /// </summary>
    internal static async Task Handle(HttpContext ctx, ServerContext s, string endpoint, Work work)
    {
        var sw = Stopwatch.StartNew();
        string modelName = (string)ctx.Request.RouteValues["name"]!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        deadline.CancelAfter(s.Options.RequestTimeout);
        PredictorLease? lease = null;
        Task<Prediction>? pending = null;
        try
        {
            // Every endpoint has decoded the body into tensors of its own before it returns, so the buffer goes back here.
            using var body = await Body.ReadAsync(ctx, s.Options.MaxRequestBodyBytes, deadline.Token);
            var (model, version) = ModelEndpoints.Resolve(ctx, s);
            lease = model.Acquire(version);
            await work(ctx, s, model, lease, body.Memory, async t => { pending = t; return await t.WaitAsync(deadline.Token); });
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ctx.RequestAborted.IsCancellationRequested)
        {
            await Json.ErrorAsync(ctx, 504, $"model '{modelName}': the request took longer than the {s.Options.RequestTimeout.TotalMilliseconds:0} ms timeout");
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            ctx.Response.StatusCode = 499; // the client went away; nothing to write
        }
        catch (Exception e) { await Errors.WriteAsync(ctx, e); }
        finally
        {
            if (lease is not null)
            {
                if (pending is { IsCompleted: false } p) _ = p.ContinueWith(_ => lease.Dispose(), TaskScheduler.Default);
                else lease.Dispose();
            }
            s.Metrics.Request(modelName, endpoint, ctx.Response.StatusCode, sw.Elapsed);
        }
    }

    private static async Task Infer(HttpContext ctx, ServerContext s, ServedModel model, PredictorLease lease, ReadOnlyMemory<byte> body, Func<Task<Prediction>, Task<Prediction>> run)
    {
        var (json, binary) = Body.Split(ctx, body);
        var request = InferRequest.Parse(json, binary, model.Name, lease.Predictor.Info, model.Config.AllowNan);
        var prediction = await run(lease.InferAsync(request.Inputs, ctx.RequestAborted));
        await InferResponse.WriteAsync(ctx, model.Name, lease.Version.Version, request, prediction);
    }
}
