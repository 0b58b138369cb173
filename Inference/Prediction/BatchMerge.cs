namespace OnnxKit.Inference;

/// <summary>Concatenates requests along the first axis and splits outputs back, for batched runs.</summary>
internal static class BatchMerge
{
    /// <summary>
    /// True when every input's first dimension is dynamic and the requests agree on all other dimensions; then
    /// <paramref name="merged"/> holds the concatenated inputs (dispose it after the run).
    /// </summary>
    public static bool TryMerge(ModelInfo info, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> requests,
        out MergedInputs merged, out long[] rows)
    {
        merged = null!; rows = new long[requests.Count];
        if (info.Inputs.Count == 0) return false;
        foreach (var spec in info.Inputs)
            if (spec.Dimensions.Length == 0 || !spec.IsDynamic(0) || !ElementTypes.IsSupported(spec.ElementType)) return false;
        // Rows per request come from the first input; every input must agree.
        for (int r = 0; r < requests.Count; r++)
        {
            rows[r] = requests[r][info.Inputs[0].Name].Shape[0];
            foreach (var spec in info.Inputs)
            {
                var s = requests[r][spec.Name].Shape;
                var s0 = requests[0][spec.Name].Shape;
                if (s[0] != rows[r]) return false;
                for (int d = 1; d < s.Length; d++) if (s[d] != s0[d]) return false;
            }
        }
        merged = new MergedInputs(info, requests, rows.Sum());
        return true;
    }

    /// <summary>Splits every output along its first axis by <paramref name="rows"/>; false when an output is not batch-major.</summary>
    public static bool TrySplit(Prediction whole, long[] rows, out Prediction[] parts)
    {
        long total = rows.Sum();
        parts = [];
        var names = whole.Keys.ToArray();
        foreach (var v in whole.Values)
            if (v.Shape.Length == 0 || v.Shape[0] != total) return false;
        var perRequest = new TensorValue[rows.Length][];
        for (int r = 0; r < rows.Length; r++) perRequest[r] = new TensorValue[names.Length];
        for (int o = 0; o < names.Length; o++)
        {
            var v = whole[o];
            long rowSize = total == 0 ? 0 : v.Data!.LongLength / total, start = 0;
            for (int r = 0; r < rows.Length; r++)
            {
                var shape = (long[])v.Shape.Clone();
                shape[0] = rows[r];
                var part = Array.CreateInstance(v.Data!.GetType().GetElementType()!, rows[r] * rowSize);
                Array.Copy(v.Data, start, part, 0, part.LongLength);
                start += part.LongLength;
                perRequest[r][o] = TensorValue.FromArray(part, shape);
            }
        }
        parts = perRequest.Select(p => new Prediction(names, p)).ToArray();
        return true;
    }
}
