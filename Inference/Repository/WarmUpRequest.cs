using System.Text.Json;

namespace OnnxKit.Inference;

/// <summary>What a warm-up request feeds: zeros or seeded uniform random values in [0, 1).</summary>
public enum WarmUpData
{
    /// <summary>All zeros (false for BOOL).</summary>
    Zeros,
    /// <summary>Uniform values in [0, 1) from a fixed seed (0/1 for integer and BOOL inputs).</summary>
    Random,
}

/// <summary>
/// One warm-up entry of <c>config.json</c> (as Triton's <c>model_warmup</c>): <see cref="Count"/> runs of every input
/// at its declared shape, symbolic dimensions taken as 1 except the first, which is <see cref="BatchSize"/>. Running
/// them before a version is marked ready moves ONNX Runtime's first-run costs (allocations, kernel choices) off the
/// first clients' requests; a model that rejects them is marked unavailable with the error.
/// </summary>
/// <param name="BatchSize">Rows of the first dimension when it is symbolic.</param>
/// <param name="Count">How many times the request runs on each instance.</param>
/// <param name="Data">Zeros or random values.</param>
public sealed record WarmUpRequest(int BatchSize = 1, int Count = 1, WarmUpData Data = WarmUpData.Zeros)
{
    /// <summary>The inputs for <paramref name="info"/>; throws <see cref="InvalidDataException"/> for an input type it cannot fill.</summary>
    public Dictionary<string, TensorValue> Inputs(ModelInfo info)
    {
        var random = new Random(1234);
        var inputs = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
        foreach (var input in info.Inputs)
        {
            if (!ElementTypes.IsSupported(input.ElementType))
                throw new InvalidDataException($"warm-up cannot fill input '{input.Name}' of type {ElementTypes.OnnxName(input.ElementType)}");
            var shape = input.Dimensions.Select((d, axis) => d >= 0 ? d : axis == 0 ? BatchSize : 1L).ToArray();
            var data = Array.CreateInstance(ElementTypes.ClrType(input.ElementType), TensorValue.ShapeCount(shape));
            if (Data == WarmUpData.Random)
                for (int i = 0; i < data.Length; i++)
                    data.SetValue(data switch
                    {
                        float[] => (object)(float)random.NextDouble(),
                        double[] => random.NextDouble(),
                        bool[] => random.Next(2) == 1,
                        _ => Convert.ChangeType(random.Next(2), data.GetType().GetElementType()!, System.Globalization.CultureInfo.InvariantCulture),
                    }, i);
            inputs[input.Name] = TensorValue.FromArray(data, shape);
        }
        return inputs;
    }

    internal static WarmUpRequest Parse(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"each 'warmup' entry must be an object, got {e.GetRawText()}");
        var w = new WarmUpRequest();
        foreach (var p in e.EnumerateObject())
            w = p.Name switch
            {
                "batch_size" => w with { BatchSize = Positive(p) },
                "count" => w with { Count = Positive(p) },
                "data" => w with { Data = p.Value.GetString() switch
                {
                    "zeros" => WarmUpData.Zeros,
                    "random" => WarmUpData.Random,
                    var s => throw new InvalidDataException($"warm-up 'data' must be \"zeros\" or \"random\", got \"{s}\""),
                } },
                _ => throw new InvalidDataException($"unknown warm-up field '{p.Name}'; known: batch_size, count, data"),
            };
        return w;
    }

    private static int Positive(JsonProperty p) =>
        p.Value.TryGetInt32(out var v) && v >= 1 ? v : throw new InvalidDataException($"warm-up '{p.Name}' must be an integer ≥ 1, got {p.Value.GetRawText()}");
}
