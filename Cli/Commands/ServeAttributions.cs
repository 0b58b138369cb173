using System.Collections.Concurrent;
using OnnxKit.Explain;
using OnnxKit.Server;

namespace OnnxKit.Cli.Commands;

/// <summary>
/// The explain endpoint's attributions for <c>onnxkit serve</c>: an <see cref="Explainer"/> per served model file, kept
/// (with its generated graphs) until the file changes, so a hot-swapped version is explained with its own weights.
/// </summary>
internal sealed class ServeAttributions : IAttributionProvider, IDisposable
{
    private readonly ConcurrentDictionary<string, (DateTime Written, Lazy<Explainer> Explainer)> _explainers = new();

    public ExplainResult Explain(string modelPath, string inputName, float[] batch, long[] shape, ExplainParameters p)
    {
        if (!ExplainCommand.Methods.TryGetValue(p.Method, out var method))
            throw new ArgumentException($"unknown method '{p.Method}': expected one of {string.Join(", ", ExplainCommand.Methods.Keys)}");
        var explainer = For(modelPath);
        if (inputName != explainer.InputName) throw new ArgumentException($"explain feeds input '{explainer.InputName}', not '{inputName}'");
        // A file baseline would let a request read the server's files: only the named ones here.
        if (p.Baseline is not (null or "zeros" or "blur" or "mean"))
            throw new ArgumentException($"baseline '{p.Baseline}': expected zeros, blur or mean");
        Baseline baseline;
        try { baseline = p.Baseline is null ? Baseline.Zeros : ExplainCommand.ParseBaseline(p.Baseline, explainer, modelPath); }
        catch (CliException e) { throw new ArgumentException(e.Message); }
        var options = new ExplainOptions { Method = method, Target = p.Target, Steps = p.Steps ?? 64, Baseline = baseline };
        if (p.Rule is not null) options = options with { Rule = IntegrationPath.ParseRule(p.Rule) };
        int size = explainer.Layout.Size;
        if (shape.Length == 0 || batch.Length != shape[0] * size)
            throw new ArgumentException($"input shape [{string.Join(", ", shape)}] is not a batch of samples [{string.Join(", ", explainer.SampleShape)}]");
        var values = new float[batch.Length];
        var targets = new int[shape[0]];
        for (int n = 0; n < shape[0]; n++)
        {
            var a = explainer.Explain(batch.AsSpan(n * size, size).ToArray(), options);
            a.Values.CopyTo(values, n * size);
            targets[n] = a.Target;
        }
        return new ExplainResult(values, shape, targets);
    }

    private Explainer For(string path)
    {
        var written = File.GetLastWriteTimeUtc(path);
        var entry = _explainers.AddOrUpdate(path,
            _ => (written, new Lazy<Explainer>(() => Explainer.Load(path))),
            (_, old) =>
            {
                if (old.Written == written) return old;
                if (old.Explainer.IsValueCreated) old.Explainer.Value.Dispose();
                return (written, new Lazy<Explainer>(() => Explainer.Load(path)));
            });
        return entry.Explainer.Value;
    }

    public void Dispose()
    {
        foreach (var e in _explainers.Values) if (e.Explainer.IsValueCreated) e.Explainer.Value.Dispose();
    }
}
