using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxKit.Inference;

namespace OnnxKit.Server;

/// <summary>
/// <c>POST /v2/models/{name}/classify</c>: rows of numbers in, labels out — for models with one floating-point
/// input shaped <c>[batch, fixed…]</c> whose first output is <c>[batch, classes]</c>. The body is JSON
/// (<c>{"rows": [[…], …]}</c> or a bare array of rows; each row may be nested, it is flattened) or CSV
/// (<c>Content-Type: text/csv</c>, one row per line) or one PNG/JPEG image (<c>image/png</c>, <c>image/jpeg</c>:
/// <see cref="ClassifyImage"/>); any other content type is answered 415. The model's <c>normalization</c> metadata, when present,
/// is applied to the rows first (scalar, per feature, or per channel for inputs of rank ≥ 3). The probability is
/// the output itself when each row already sums to 1 within [0, 1], else its softmax.
/// </summary>
internal static class ClassifyEndpoint
{
    public static async Task Classify(HttpContext ctx, ServerContext s, ServedModel model, PredictorLease lease, ReadOnlyMemory<byte> body, Func<Task<Prediction>, Task<Prediction>> run)
    {
        var info = lease.Predictor.Info;
        if (info.Inputs.Count != 1 || !ElementTypes.IsFloatingPoint(info.Inputs[0].ElementType) || info.Inputs[0].Dimensions.Length < 1
            || info.Inputs[0].Dimensions.Skip(1).Any(d => d < 0))
            throw new ProtocolException(400, $"model '{model.Name}': classify needs one FP32/FP64 input shaped [batch, fixed dims…]; the model has {string.Join(", ", info.Inputs)}; use /infer");
        var spec = info.Inputs[0];
        long features = spec.Dimensions.Skip(1).Aggregate(1L, (a, d) => a * d);
        string mediaType = (ctx.Request.ContentType ?? "application/json").Split(';')[0].Trim().ToLowerInvariant();
        var rows = mediaType switch
        {
            "text/csv" => ParseCsv(body),
            "application/json" or "" => ParseJson(body),
            "image/png" or "image/jpeg" => [ClassifyImage.Row(body, spec, features)],
            _ => throw new ProtocolException(415, $"classify takes application/json, text/csv, image/png or image/jpeg bodies, not '{mediaType}'"),
        };
        if (rows.Count == 0) throw new ProtocolException(400, "no rows to classify");
        var flat = new double[rows.Count * features];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != features)
                throw new ProtocolException(400, $"row {r} has {rows[r].Length} values; model '{model.Name}' input '{spec.Name}' {spec.ShapeText} needs {features} per row");
            for (int j = 0; j < features; j++)
            {
                double v = rows[r][j];
                if (!double.IsFinite(v) && !model.Config.AllowNan)
                    throw new ProtocolException(400, $"row {r} value {j} is not a finite number; this model does not accept NaN or infinite values");
                flat[r * features + j] = v;
            }
        }
        Normalize(flat, features, spec, info);
        var shape = new long[spec.Dimensions.Length];
        shape[0] = rows.Count;
        for (int d = 1; d < shape.Length; d++) shape[d] = spec.Dimensions[d];
        var tensor = spec.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Double
            ? TensorValue.FromDoubles(flat, shape) : TensorValue.FromFloats(flat.Select(x => (float)x).ToArray(), shape);
        var prediction = await run(lease.InferAsync(new Dictionary<string, TensorValue> { [spec.Name] = tensor }, ctx.RequestAborted));
        var output = prediction[0];
        if (output.Shape.Length != 2 || output.Shape[0] != rows.Count)
            throw new ProtocolException(400, $"model '{model.Name}': classify needs the first output shaped [batch, classes], got {TensorValue.ShapeText(output.Shape)}");
        var scores = output.ToDoubles();
        int classes = (int)output.Shape[1];
        var labels = model.Labels(lease.Version);
        await Json.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("model_name", model.Name);
            w.WriteString("model_version", lease.Version.Version.ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray("predictions");
            for (int r = 0; r < rows.Count; r++)
            {
                var p = Probabilities(scores.AsSpan(r * classes, classes));
                int best = 0;
                for (int c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
                w.WriteStartObject();
                w.WriteNumber("index", best);
                w.WriteString("label", labels is not null && best < labels.Length ? labels[best] : best.ToString(CultureInfo.InvariantCulture));
                w.WritePropertyName("probability"); Json.Number(w, p[best]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static double[] Probabilities(ReadOnlySpan<double> row)
    {
        double sum = 0; bool unit = true;
        foreach (var v in row) { sum += v; unit &= v >= 0 && v <= 1; }
        if (unit && Math.Abs(sum - 1) < 1e-3) return row.ToArray();
        double max = double.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        var e = new double[row.Length];
        double z = 0;
        for (int i = 0; i < e.Length; i++) z += e[i] = Math.Exp(row[i] - max);
        for (int i = 0; i < e.Length; i++) e[i] /= z;
        return e;
    }

    private static void Normalize(double[] flat, long features, TensorInfo spec, ModelInfo info)
    {
        if (info.NormalizationMean is not { } mean || info.NormalizationStd is not { } std) return;
        long channels = spec.Dimensions.Length >= 3 ? spec.Dimensions[1] : 0;
        long perChannel = channels > 0 ? features / channels : 0;
        for (long i = 0; i < flat.Length; i++)
        {
            long j = i % features;
            long k = mean.Length == 1 ? 0 : mean.Length == features ? j : channels > 0 && mean.Length == channels ? j / perChannel
                : throw new ProtocolException(400, $"model metadata 'normalization' has {mean.Length} means; expected 1, {features} (features) or {channels} (channels)");
            double sd = std.Length == 1 ? std[0] : std[k];
            flat[i] = (flat[i] - mean[k]) / sd;
        }
    }

    private static List<double[]> ParseJson(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var rowsEl = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("rows", out var r) ? r : root;
        if (rowsEl.ValueKind != JsonValueKind.Array)
            throw new ProtocolException(400, "classify needs {\"rows\": [[numbers…], …]}, a JSON array of rows, or text/csv");
        var rows = new List<double[]>();
        int index = 0;
        foreach (var row in rowsEl.EnumerateArray())
        {
            var values = new List<double>();
            Flatten(row, values, index++);
            rows.Add(values.ToArray());
        }
        return rows;
    }

    private static void Flatten(JsonElement e, List<double> into, int row)
    {
        if (e.ValueKind == JsonValueKind.Array) { foreach (var c in e.EnumerateArray()) Flatten(c, into, row); return; }
        if (e.ValueKind != JsonValueKind.Number) throw new ProtocolException(400, $"row {row}: {e.GetRawText()} is not a number");
        into.Add(e.GetDouble());
    }

    private static List<double[]> ParseCsv(ReadOnlyMemory<byte> body)
    {
        var rows = new List<double[]>();
        int line = 0;
        foreach (var raw in Encoding.UTF8.GetString(body.Span).Split('\n'))
        {
            line++;
            var text = raw.Trim();
            if (text.Length == 0) continue;
            var cells = text.Split(',');
            var row = new double[cells.Length];
            for (int i = 0; i < cells.Length; i++)
                if (!double.TryParse(cells[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out row[i]))
                    throw new ProtocolException(400, $"CSV line {line}, column {i + 1}: '{cells[i].Trim()}' is not a number");
            rows.Add(row);
        }
        return rows;
    }
}
