namespace OnnxKit.Inference;

/// <summary>Opens the instances a version's config asks for and runs its warm-up requests on each.</summary>
internal static class ModelInstances
{
    /// <summary>
    /// Loads <c>max(1, instance_count)</c> sessions of <paramref name="path"/> and warms each up; a warm-up request
    /// the model rejects fails the load (<see cref="InvalidDataException"/> naming the request), and nothing stays open.
    /// </summary>
    public static LoadedModel Load(string path, PredictorOptions options, ModelConfig config, Action<int>? onBatch)
    {
        var instances = new List<Predictor>();
        // Warm-up requests in the config replace the default run on zeros at batch 1, which a model may not accept.
        if (config.WarmUp.Count > 0) options.WarmUp = false;
        try
        {
            for (int i = 0; i < Math.Max(1, config.InstanceCount); i++) instances.Add(Predictor.Load(path, options));
            foreach (var (request, k) in config.WarmUp.Select((w, k) => (w, k)))
            {
                Dictionary<string, TensorValue> inputs;
                try { inputs = request.Inputs(instances[0].Info); }
                catch (InvalidDataException e) { throw new InvalidDataException($"warm-up request {k + 1}: {e.Message}", e); }
                foreach (var p in instances)
                    for (int n = 0; n < request.Count; n++)
                    {
                        try { p.Predict(inputs); }
                        catch (Exception e) when (e is ArgumentException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                        {
                            throw new InvalidDataException($"warm-up request {k + 1} (batch size {request.BatchSize}, {request.Data.ToString().ToLowerInvariant()}) failed: {e.Message}", e);
                        }
                    }
            }
            return new LoadedModel(instances, config, onBatch);
        }
        catch
        {
            foreach (var p in instances) p.Dispose();
            throw;
        }
    }
}
