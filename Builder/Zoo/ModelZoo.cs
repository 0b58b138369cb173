using OnnxKit.Init;

namespace OnnxKit.Zoo;

/// <summary>
/// Ready-made architectures for image classification on small inputs ([H, W] grey or [C, H, W]), as used by
/// <c>onnxkit train --model …</c> and the benchmarks. Each returns logits (no softmax).
/// </summary>
public static class ModelZoo
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn", "resnet-small", "transformer-small", "lstm", "cnn-tanh"];

    /// <summary>An architecture by name for samples of <paramref name="sampleShape"/> and <paramref name="classes"/> outputs.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="sampleShape">Shape of one sample.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="seed">Seed of the weights.</param>
    /// <param name="input">An optional first layer (e.g. a fitted <see cref="Standardization"/>) placed before the architecture;
    /// it becomes child 0, so the architecture's own layers are numbered from 1.</param>
    /// <param name="architecture">Values for the architecture's <see cref="ArchitectureParameters"/> (the rest keep their defaults).</param>
    public static Module Create(string name, IReadOnlyList<int> sampleShape, int classes, int seed = 0, Module? input = null,
        IReadOnlyDictionary<string, double>? architecture = null)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "a classifier needs at least two classes");
        var a = architecture ?? new Dictionary<string, double>();
        var known = ArchitectureParameters(name);
        foreach (var key in a.Keys)
            if (!known.Contains(key))
                throw new ArgumentException($"architecture '{name}' has no parameter '{key}'" + (known.Count == 0 ? " (it takes none)" : $": expected {string.Join(", ", known)}"));
        int Whole(string key, int dflt, int min)
        {
            if (!a.TryGetValue(key, out double v)) return dflt;
            if (v != Math.Round(v) || v < min || v > 65536) throw new ArgumentException($"architecture parameter '{key}' must be a whole number of at least {min}, got {v}");
            return (int)v;
        }
        double Rate(string key, double dflt) => !a.TryGetValue(key, out double v) ? dflt
            : v is >= 0 and < 1 ? v : throw new ArgumentException($"architecture parameter '{key}' must lie in [0, 1), got {v}");
        Module m = name.ToLowerInvariant() switch
        {
            "mlp" => Mlp(sampleShape, classes, Whole("width", 128, 1), Rate("dropout", 0.2), input, Whole("depth", 1, 1)),
            "cnn" => Cnn(sampleShape, classes, input, Whole("channels", 32, 1), Whole("kernel", 3, 1), Rate("dropout", 0.25)),
            "resnet-small" => ResNetSmall(sampleShape, classes, input),
            "transformer-small" => TransformerSmall(sampleShape, classes, input: input),
            "lstm" => Lstm(sampleShape, classes, input: input),
            "cnn-tanh" => CnnTanh(sampleShape, classes, input),
            _ => throw new ArgumentException($"unknown architecture '{name}': expected one of {string.Join(", ", Names)}"),
        };
        m.Seed = seed;
        return m;
    }

    /// <summary>
    /// The parameters <see cref="Create"/> accepts for an architecture (what <c>onnxkit tune</c> searches and
    /// <c>onnxkit train --arch-params</c> sets): mlp depth, width, dropout; cnn channels, kernel, dropout.
    /// </summary>
    public static IReadOnlyList<string> ArchitectureParameters(string name) => name.ToLowerInvariant() switch
    {
        "mlp" => ["depth", "width", "dropout"],
        "cnn" => ["channels", "kernel", "dropout"],
        _ => [],
    };

    /// <summary>The seed example: Flatten → Dense(128, relu) → Dropout(0.2) → Dense(classes); <paramref name="depth"/> repeats the hidden block.</summary>
    public static Sequential Mlp(IReadOnlyList<int> sampleShape, int classes, int hidden = 128, double dropout = 0.2, Module? input = null, int depth = 1) =>
        Stack(input, [new Flatten(), .. Enumerable.Range(0, depth).SelectMany(_ => new Module[] { new Dense(hidden, Activation.Relu), new Dropout(dropout) }), new Dense(classes)]);

    /// <summary>
    /// Conv(32, 3×3) → ReLU → MaxPool 2 → Conv(64, 3×3) → ReLU → MaxPool 2 → Dropout(0.25) → Flatten → Dense(classes);
    /// <paramref name="channels"/> sets the first convolution's width (the second has twice as many).
    /// </summary>
    public static Sequential Cnn(IReadOnlyList<int> sampleShape, int classes, Module? input = null, int channels = 32, int kernel = 3, double dropout = 0.25)
    {
        var (c, h, w) = Chw(sampleShape);
        return Stack(input,
            new Reshape(c, h, w),
            new Conv2d(c, channels, kernel), new ReLU(), new MaxPool2d(2),
            new Conv2d(channels, 2 * channels, kernel), new ReLU(), new MaxPool2d(2),
            new Dropout(dropout), new Flatten(), new Dense(classes));
    }

    /// <summary>
    /// The CNN of Papernot, Thakurta, Song, Chien and Erlingsson 2020 ("Tempered Sigmoid Activations for Deep Learning with
    /// Differential Privacy") for MNIST-sized images: Conv(16, 8×8, stride 2, pad 3) → tanh → MaxPool(2, stride 1) →
    /// Conv(32, 4×4, stride 2) → tanh → MaxPool(2, stride 1) → Dense(32) → tanh → Dense(classes). No BatchNorm (which
    /// DP-SGD cannot clip per example); bounded tanh activations keep per-example gradients small under clipping.
    /// </summary>
    public static Sequential CnnTanh(IReadOnlyList<int> sampleShape, int classes, Module? input = null)
    {
        var (c, h, w) = Chw(sampleShape);
        return Stack(input,
            new Reshape(c, h, w),
            new Conv2d(c, 16, 8, stride: 2, padding: 3), new Tanh(), new MaxPool2d(2, stride: 1),
            new Conv2d(16, 32, 4, stride: 2), new Tanh(), new MaxPool2d(2, stride: 1),
            new Flatten(), new Dense(32, Activation.Tanh), new Dense(classes));
    }

    /// <summary>A small ResNet: stem Conv(16)+BN, three residual stages (16, 32/2, 64/2), global average pooling, Dense.</summary>
    public static Sequential ResNetSmall(IReadOnlyList<int> sampleShape, int classes, Module? input = null)
    {
        var (c, h, w) = Chw(sampleShape);
        return Stack(input,
            new Reshape(c, h, w),
            new Conv2d(c, 16, 3, padding: 1, bias: false), new BatchNorm2d(16), new ReLU(),
            new BasicBlock(16, 16, 1), new BasicBlock(16, 32, 2), new BasicBlock(32, 64, 2),
            new GlobalAvgPool(keepDims: false), new Dense(classes));
    }

    /// <summary>
    /// A small vision transformer: 4×4 patches → Dense(64) + learned position embedding → 2 encoder layers
    /// (4 heads, GELU, pre-norm) → mean over patches → LayerNorm → Dense(classes).
    /// </summary>
    public static Sequential TransformerSmall(IReadOnlyList<int> sampleShape, int classes, int dModel = 64, int layers = 2, int heads = 4, int patch = 4, Module? input = null)
    {
        var (c, h, w) = Chw(sampleShape);
        if (h % patch != 0 || w % patch != 0) throw new ArgumentException($"transformer-small needs image sides divisible by the patch size {patch}, got {h}×{w}");
        long ph = h / patch, pw = w / patch, tokens = ph * pw, patchSize = c * patch * patch;
        var seq = Stack(input,
            new Lambda(x => Patchify(x, c, ph, pw, patch), "patchify"),
            new Dense(dModel),
            new PositionEmbedding(tokens, dModel));
        for (int i = 0; i < layers; i++) seq.Append(new TransformerEncoderLayer(dModel, heads, dimFeedforward: 2 * dModel, dropout: 0.1, activation: "gelu", normFirst: true));
        seq.Append(new Lambda(x => Op.ReduceMean(x, [1], keepDims: false), "mean_over_tokens"));
        seq.Append(new LayerNorm(dModel));
        seq.Append(new Dense(classes));
        _ = patchSize;
        return seq;
    }

    /// <summary>
    /// The seed's RNN: the image's rows as a sequence (H steps of C·W features) → LSTM(<paramref name="hidden"/>) → its
    /// final hidden state → Dense(classes).
    /// </summary>
    public static Sequential Lstm(IReadOnlyList<int> sampleShape, int classes, int hidden = 128, Module? input = null)
    {
        var (c, h, w) = Chw(sampleShape);
        // [C, H, W] → [H, C·W]: a row of every channel per step.
        Module rows = c == 1 ? new Reshape(h, w) : new Lambda(x => Op.Reshape(Op.Transpose(Op.Reshape(x, -1, c, h, w), 0, 2, 1, 3), -1, h, c * w), "rows");
        return Stack(input, rows, new Lstm(hidden, batchFirst: true) { ReturnSequences = false }, new Dense(classes));
    }

    // The optional input layer first, then the architecture.
    private static Sequential Stack(Module? input, params Module[] layers) => input is null ? new(layers) : new([input, .. layers]);

    // [N, C·H·W…] → [N, tokens, C·p·p]: split H and W into patches, then move the patch grid before the pixels.
    private static Value Patchify(Value x, long c, long ph, long pw, long p)
    {
        var t = Op.Reshape(x, -1, c, ph, p, pw, p);
        t = Op.Transpose(t, 0, 2, 4, 1, 3, 5);
        return Op.Reshape(t, -1, ph * pw, c * p * p);
    }

    private static (long C, long H, long W) Chw(IReadOnlyList<int> s) => s.Count switch
    {
        2 => (1, s[0], s[1]),
        3 => (s[0], s[1], s[2]),
        _ => throw new ArgumentException($"convolutional architectures need image samples [H, W] or [C, H, W], got [{string.Join(", ", s)}]"),
    };

    /// <summary>A ResNet basic block: two 3×3 Conv+BN with a (projected when the shape changes) skip connection.</summary>
    public sealed class BasicBlock : Module
    {
        private readonly Module _conv1, _bn1, _conv2, _bn2;
        private readonly Module? _proj, _projBn;

        /// <summary>Creates the block.</summary>
        public BasicBlock(long inChannels, long outChannels, long stride)
        {
            _conv1 = Add("conv1", new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false));
            _bn1 = Add("bn1", new BatchNorm2d(outChannels));
            _conv2 = Add("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false));
            _bn2 = Add("bn2", new BatchNorm2d(outChannels));
            if (stride != 1 || inChannels != outChannels)
            {
                _proj = Add("downsample", new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false));
                _projBn = Add("downsample_bn", new BatchNorm2d(outChannels));
            }
        }

        /// <inheritdoc/>
        public override Value Forward(Value x)
        {
            var y = Op.Relu(_bn1.Call(_conv1.Call(x)));
            y = _bn2.Call(_conv2.Call(y));
            var skip = _proj is null ? x : _projBn!.Call(_proj.Call(x));
            return Op.Relu(y + skip);
        }
    }

    /// <summary>A learned position embedding added to [N, tokens, d] (initialised N(0, 0.02²) as ViT).</summary>
    public sealed class PositionEmbedding : Module
    {
        private readonly Parameter _pos;
        /// <summary>Creates it.</summary>
        public PositionEmbedding(long tokens, long dim) => _pos = AddParameter("weight", [1, tokens, dim], Initializers.Normal(0, 0.02f));
        /// <inheritdoc/>
        public override Value Forward(Value x) => x + _pos.In(x.Builder);
    }
}
