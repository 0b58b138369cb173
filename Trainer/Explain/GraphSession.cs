using Microsoft.ML.OnnxRuntime;

namespace OnnxKit.Explain;

/// <summary>One ORT session over a generated or given graph, fed and read as flat float arrays.</summary>
internal sealed class GraphSession : IDisposable
{
    private readonly InferenceSession _session;

    public GraphSession(byte[] model, int intraOpThreads)
    {
        using var options = new SessionOptions();
        if (intraOpThreads > 0) options.IntraOpNumThreads = intraOpThreads;
        _session = new InferenceSession(model, options);
    }

    /// <summary>Runs the graph and returns the named outputs with their shapes.</summary>
    public (float[] Data, long[] Shape)[] Run(IReadOnlyList<(string Name, float[] Data, long[] Shape)> inputs, params string[] outputs)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToList();
        try
        {
            using var run = new RunOptions();
            using var results = _session.Run(run, inputs.Select(i => i.Name).ToArray(), values, outputs);
            return results.Select(r => (r.GetTensorDataAsSpan<float>().ToArray(), r.GetTensorTypeAndShape().Shape)).ToArray();
        }
        finally { foreach (var v in values) v.Dispose(); }
    }

    public void Dispose() => _session.Dispose();
}
