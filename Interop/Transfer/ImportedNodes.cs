using OnnxKit.IR;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// Re-emits one node of an imported graph into a <see cref="GraphBuilder"/>, switching the nodes whose behaviour
/// depends on training: BatchNormalization (batch statistics and running-statistic updates in training, running
/// statistics otherwise), Dropout (active in training, the identity otherwise). Flatten is written as the equivalent
/// Reshape so that the gradient registry covers it. Every other node is copied as it is.
/// </summary>
internal static class ImportedNodes
{
    public static Value[] Replay(GraphBuilder g, Node n, IReadOnlyList<Value?> inputs, TrainableModel? owner)
    {
        string? name = n.Name.Length > 0 ? n.Name.TrimStart('/') : null;
        if (n.Domain is "" or "ai.onnx")
        {
            switch (n.OpType)
            {
                case "BatchNormalization": return [BatchNorm(g, n, inputs, owner)];
                case "Dropout": return Dropout(g, n, inputs);
                case "Flatten": return [Flatten(n, Need(inputs, 0, n))];
            }
        }
        return g.Node(n.OpType, inputs, n.Outputs.Count, n.Attributes.Select(a => a.Clone()), n.Domain, name);
    }

    private static Value Need(IReadOnlyList<Value?> inputs, int i, Node n) =>
        inputs.ElementAtOrDefault(i) ?? throw new GraphBuildException($"{n.Describe()} has no input {i}");

    private static Value Flatten(Node n, Value x)
    {
        long axis = n.GetInt("axis", 1);
        if (axis == 1) return Op.Reshape(x, 0, -1);
        if (axis == 0) return Op.Reshape(x, 1, -1);
        int rank = x.Rank ?? throw new GraphBuildException($"{n.Describe()}: Flatten with axis {axis} needs the rank of '{x.Name}'");
        if (axis < 0) axis += rank;
        // Keep the leading axes (0 copies a dimension), merge the rest.
        return Op.Reshape(x, [.. Enumerable.Repeat(0L, (int)axis), -1]);
    }

    private static Value[] Dropout(GraphBuilder g, Node n, IReadOnlyList<Value?> inputs)
    {
        var x = Need(inputs, 0, n);
        double ratio = 0.5;
        if (inputs.ElementAtOrDefault(1) is { } r)
            ratio = g.ConstantValue(r.Name) is { } t ? TensorData.ToDoubleArray(t)[0]
                : throw new GraphBuildException($"{n.Describe()}: the dropout ratio '{r.Name}' must be a constant to make the model trainable");
        bool maskWanted = n.Outputs.Count > 1 && n.Outputs[1].Length > 0;
        if (!g.Training || ratio == 0)
            return maskWanted ? [x, Op.ConstantOfShape(Op.Shape(x), 1, ElementType.Bool)] : [x];
        var outs = Op.Dropout(x, ratio, training: true, seed: n.GetInt("seed", 0) is var s and not 0 ? s : SeedOf(n));
        return maskWanted ? outs : [outs[0]];
    }

    // A stable seed per node (FNV-1a of its output name) so masks differ between layers and runs are reproducible.
    private static long SeedOf(Node n)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in n.Outputs[0]) { h ^= c; h *= 1099511628211UL; }
        return (long)(h & 0x7FFFFFFF);
    }

    private static Value BatchNorm(GraphBuilder g, Node n, IReadOnlyList<Value?> inputs, TrainableModel? owner)
    {
        var x = Need(inputs, 0, n);
        Value scale = Need(inputs, 1, n), shift = Need(inputs, 2, n), runMean = Need(inputs, 3, n), runVar = Need(inputs, 4, n);
        float eps = n.GetFloat("epsilon", 1e-5f);
        if (!g.Training) return Op.BatchNormalization(x, scale, shift, runMean, runVar, eps);
        if (owner is null) throw new GraphBuildException($"{n.Describe()}: training-mode BatchNormalization needs the module owning its statistics");

        // Training: PyTorch's BatchNorm — normalise with the batch mean and biased variance; move the running
        // statistics towards the batch's with momentum, the variance entering unbiased (n/(n−1)).
        long channels = owner.ImportedTensors.TryGetValue(n.Inputs[3], out var rm) ? rm.Shape[0]
            : scale.Shape is { Rank: 1 } ss && ss[0].IsKnown ? ss[0].Value!.Value
            : throw new GraphBuildException($"{n.Describe()}: the number of channels of '{n.Inputs[3]}' must be known");
        int rank = x.Rank ?? throw new GraphBuildException($"{n.Describe()}: input '{x.Name}' has unknown rank; the training form needs it");
        long[] axes = [0, .. Enumerable.Range(2, rank - 2).Select(i => (long)i)];
        long[] channelShape = [channels, .. Enumerable.Repeat(1L, rank - 2)];
        var mean = Op.ReduceMean(x, axes, keepDims: true);
        var centered = x - mean;
        var variance = Op.ReduceMean(centered * centered, axes, keepDims: true);
        var y = centered / Op.Sqrt(variance + eps);
        y = y * Op.Reshape(scale, channelShape) + Op.Reshape(shift, channelShape);

        float momentum = owner.BatchNormMomentum.GetValueOrDefault(n.Inputs[3], 0.1f);
        Value count = x.Shape is { } known && known.Where((_, i) => i != 1).All(d => d.IsKnown)
            ? g.Scalar(known.Where((_, i) => i != 1).Aggregate(1L, (a, d) => a * d.Value!.Value))
            : Op.Cast(Op.Size(x), ElementType.Float32) / (double)channels;
        var batchMean = Op.Reshape(mean, channels);
        var unbiased = Op.Reshape(variance, channels) * count / (count - 1.0);
        // Only buffers the module owns are state; a running statistic computed in the graph is left as it is.
        if (owner.ImportedTensors.TryGetValue(n.Inputs[3], out var meanBuf) && meanBuf.IsBuffer)
            g.BufferUpdates[meanBuf.FullName] = runMean * (1.0 - momentum) + batchMean * momentum;
        if (owner.ImportedTensors.TryGetValue(n.Inputs[4], out var varBuf) && varBuf.IsBuffer)
            g.BufferUpdates[varBuf.FullName] = runVar * (1.0 - momentum) + unbiased * momentum;
        return y;
    }
}

