using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using OnnxKit.Training.Artifacts;
using OnnxKit.IO;

namespace OnnxKit.Interop.TfJs;

/// <summary>
/// Writes a Keras-style <see cref="Sequential"/> in the TensorFlow.js Layers format: <c>model.json</c> (the Keras
/// topology of a Sequential plus the weights manifest) and little-endian float32 weight shards, loadable with
/// <c>tf.loadLayersModel</c>. TensorFlow.js works channels-last, so image models take NHWC input there:
/// convolution kernels go from PyTorch's [out, in, kh, kw] to Keras' [kh, kw, in, out], dense kernels are transposed
/// to [in, units], and the first Dense after a Flatten of a feature map has its rows reordered from (c, h, w) to
/// (h, w, c) so the outputs equal the ONNX model's for the same image.
/// Supported: Dense (with its activation), Conv2d (groups 1, 'valid' or 'same' padding), MaxPool2d/AvgPool2d without
/// padding, BatchNorm1d/2d, Flatten, Dropout, ReLU, LeakyReLU, ELU, SELU, Sigmoid, Tanh, Softmax over the last axis.
/// </summary>
public static class TfJsExport
{
    /// <summary>Writes <paramref name="model"/> fed samples of <paramref name="sampleShape"/> (channels-first, without the batch) into <paramref name="directory"/>.</summary>
    /// <param name="model">The network (its current weights are written).</param>
    /// <param name="sampleShape">One sample's shape as the ONNX model takes it, e.g. [1, 28, 28] or [784].</param>
    /// <param name="directory">Output folder (created).</param>
    /// <param name="shardBytes">Maximum size of one weight shard (TF.js' converter uses 4 MiB).</param>
    /// <returns>The paths written.</returns>
    public static IReadOnlyList<string> Save(Sequential model, IReadOnlyList<int> sampleShape, string directory, int shardBytes = 4 << 20)
    {
        if (shardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(shardBytes), shardBytes, "shard size must be positive");
        // Building the inference graph once sizes lazily built layers (Dense takes its input size from the first input).
        TrainingArtifacts.BuildInference(model, new IR.TensorType(IR.ElementType.Float32, new IR.Shape([IR.Dim.Sym("batch"), .. sampleShape.Select(d => IR.Dim.Of(d))])));
        var w = new Writer(sampleShape);
        int index = 0;
        foreach (var layer in model.Layers) w.Add(layer, ++index);

        Directory.CreateDirectory(directory);
        var data = w.Weights.SelectMany(x => x.Data).ToArray();
        var bytes = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the TF.js weight format is little-endian");
        int shards = Math.Max(1, (bytes.Length + shardBytes - 1) / shardBytes);
        var paths = new JsonArray();
        var written = new List<string>();
        for (int s = 0; s < shards; s++)
        {
            string file = $"group1-shard{s + 1}of{shards}.bin";
            int start = s * shardBytes, len = Math.Min(shardBytes, bytes.Length - start);
            string path = Path.Combine(directory, file);
            AtomicFile.WriteAllBytes(path, bytes.AsSpan(start, Math.Max(0, len)));
            paths.Add(file);
            written.Add(path);
        }
        var specs = new JsonArray(w.Weights.Select(x => (JsonNode)new JsonObject
        {
            ["name"] = x.Name, ["shape"] = new JsonArray(x.Shape.Select(d => (JsonNode)d).ToArray()), ["dtype"] = "float32",
        }).ToArray());
        var json = new JsonObject
        {
            ["format"] = "layers-model",
            ["generatedBy"] = "OnnxKit",
            ["convertedBy"] = null,
            ["modelTopology"] = new JsonObject
            {
                ["class_name"] = "Sequential",
                ["config"] = new JsonObject { ["name"] = "sequential", ["layers"] = w.Layers },
                ["keras_version"] = "tfjs-layers 4.22.0",
                ["backend"] = "tensor_flow.js",
            },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = paths, ["weights"] = specs }),
        };
        string modelPath = Path.Combine(directory, "model.json");
        AtomicFile.WriteAllText(modelPath, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        written.Insert(0, modelPath);
        return written;
    }

    private sealed record Weight(string Name, long[] Shape, float[] Data);

    /// <summary>Walks the layers, tracking the sample shape (channels-first) to lay out the weights channels-last.</summary>
    private sealed class Writer(IReadOnlyList<int> sampleShape)
    {
        private long[] _shape = sampleShape.Select(d => (long)d).ToArray();
        private long[]? _flattenedFrom;   // [C, H, W] of the feature map the last Flatten flattened
        public JsonArray Layers { get; } = [];
        public List<Weight> Weights { get; } = [];

        public void Add(Module layer, int index)
        {
            switch (layer)
            {
                case Dense d: AddDense(d, index); break;
                case Conv2d c: AddConv(c, index); break;
                case MaxPool2d p: AddPool("MaxPooling2D", p, index, p.Dilation.Any(x => x != 1)); break;
                case AvgPool2d p: AddPool("AveragePooling2D", p, index, false); break;
                case BatchNormNd b: AddBatchNorm(b, index); break;
                case Flatten f:
                    if (f.StartDim != 1 || f.EndDim != -1) throw Unsupported(layer, index, "only Flatten() over every axis after the batch");
                    if (_shape.Length == 3) _flattenedFrom = _shape;
                    _shape = [_shape.Aggregate(1L, (a, x) => a * x)];
                    Emit("Flatten", index, new JsonObject());
                    break;
                case Dropout dr: Emit("Dropout", index, new JsonObject { ["rate"] = dr.P }); break;
                case ReLU: Emit("Activation", index, new JsonObject { ["activation"] = "relu" }); break;
                case Sigmoid: Emit("Activation", index, new JsonObject { ["activation"] = "sigmoid" }); break;
                case Tanh: Emit("Activation", index, new JsonObject { ["activation"] = "tanh" }); break;
                case SELU: Emit("Activation", index, new JsonObject { ["activation"] = "selu" }); break;
                case ELU e: Emit("ELU", index, new JsonObject { ["alpha"] = e.Alpha }); break;
                case LeakyReLU l: Emit("LeakyReLU", index, new JsonObject { ["alpha"] = l.NegativeSlope }); break;
                case Softmax s:
                    if (s.Dim != -1 && s.Dim != _shape.Length) throw Unsupported(layer, index, "Softmax over the last axis only");
                    Emit("Activation", index, new JsonObject { ["activation"] = "softmax" });
                    break;
                default: throw Unsupported(layer, index, "no TensorFlow.js Layers equivalent is written for it");
            }
        }

        private static NotSupportedException Unsupported(Module layer, int index, string why) =>
            new($"layer {index} ({layer.GetType().Name}) cannot be exported to TensorFlow.js: {why}");

        private string Emit(string className, int index, JsonObject config)
        {
            string name = $"{className.ToLowerInvariant()}_{index}";
            config["name"] = name;
            config["trainable"] = true;
            config["dtype"] = "float32";
            if (Layers.Count == 0)
            {
                // Keras' batch_input_shape, channels-last.
                long[] inShape = _shape.Length == 3 ? [_shape[1], _shape[2], _shape[0]] : _shape;
                config["batch_input_shape"] = new JsonArray([null, .. inShape.Select(d => (JsonNode)d)]);
            }
            Layers.Add(new JsonObject { ["class_name"] = className, ["config"] = config });
            return name;
        }

        private void AddDense(Dense d, int index)
        {
            if (_shape.Length != 1) throw Unsupported(d, index, $"Dense needs a flat input, got a sample of shape [{string.Join(", ", _shape)}] (add a Flatten)");
            var wt = d.Weight ?? throw Unsupported(d, index, "the layer has no weight yet");
            long units = wt.Shape[0], inF = wt.Shape[1];
            string act = d.Activation switch
            {
                Activation.None => "linear", Activation.Relu => "relu", Activation.Sigmoid => "sigmoid", Activation.Tanh => "tanh",
                Activation.Softmax => "softmax", Activation.Elu => "elu", Activation.Selu => "selu", Activation.Softplus => "softplus",
                _ => throw Unsupported(d, index, $"activation {d.Activation} has no Keras name written here"),
            };
            string name = Emit("Dense", index, new JsonObject { ["units"] = units, ["activation"] = act, ["use_bias"] = d.Bias is not null });
            // Keras kernel [in, units] with row r reading the input feature that TF.js puts at r: after a Flatten of a
            // feature map, position r = (h·W + w)·C + c holds what ONNX had at c·H·W + h·W + w.
            var src = wt.Data;
            var kernel = new float[inF * units];
            for (long r = 0; r < inF; r++)
            {
                long col = r;
                if (_flattenedFrom is [var C, var H, var W])
                {
                    long c = r % C, hw = r / C;
                    col = c * H * W + hw;
                }
                for (long u = 0; u < units; u++) kernel[r * units + u] = src[u * inF + col];
            }
            Weights.Add(new Weight(name + "/kernel", [inF, units], kernel));
            if (d.Bias is { } b) Weights.Add(new Weight(name + "/bias", [units], (float[])b.Data.Clone()));
            _flattenedFrom = null;
            _shape = [units];
        }

        private void AddConv(Conv2d c, int index)
        {
            if (_shape.Length != 3) throw Unsupported(c, index, $"Conv2d needs [C, H, W] samples, got [{string.Join(", ", _shape)}]");
            if (c.Groups != 1) throw Unsupported(c, index, "grouped convolution");
            string padding = PaddingMode(c, index, c.KernelSize, c.Stride, c.Pads, c.Dilation);
            string name = Emit("Conv2D", index, new JsonObject
            {
                ["filters"] = c.OutChannels, ["kernel_size"] = Pair(c.KernelSize), ["strides"] = Pair(c.Stride), ["padding"] = padding,
                ["data_format"] = "channels_last", ["dilation_rate"] = Pair(c.Dilation), ["activation"] = "linear", ["use_bias"] = c.Bias is not null,
            });
            long o = c.OutChannels, i = c.InChannels, kh = c.KernelSize[0], kw = c.KernelSize[1];
            var src = c.Weight.Data;
            var kernel = new float[src.Length];
            for (long a = 0; a < o; a++) for (long b = 0; b < i; b++) for (long y = 0; y < kh; y++) for (long x = 0; x < kw; x++)
                kernel[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x];
            Weights.Add(new Weight(name + "/kernel", [kh, kw, i, o], kernel));
            if (c.Bias is { } bias) Weights.Add(new Weight(name + "/bias", [o], (float[])bias.Data.Clone()));
            _shape = [o, .. Spatial(c.KernelSize, c.Stride, c.Pads, c.Dilation)];
        }

        private void AddPool(string className, PoolNd p, int index, bool dilated)
        {
            if (_shape.Length != 3) throw Unsupported(p, index, $"2-D pooling needs [C, H, W] samples, got [{string.Join(", ", _shape)}]");
            if (dilated || p.CeilMode || p.Pads.Any(x => x != 0)) throw Unsupported(p, index, "pooling with padding, dilation or ceil mode");
            Emit(className, index, new JsonObject
            {
                ["pool_size"] = Pair(p.KernelSize), ["strides"] = Pair(p.Stride), ["padding"] = "valid", ["data_format"] = "channels_last",
            });
            _shape = [_shape[0], .. Spatial(p.KernelSize, p.Stride, p.Pads, [1, 1])];
        }

        private void AddBatchNorm(BatchNormNd b, int index)
        {
            if (_shape.Length is not (1 or 3)) throw Unsupported(b, index, $"BatchNorm over samples of shape [{string.Join(", ", _shape)}]");
            string name = Emit("BatchNormalization", index, new JsonObject
            {
                ["axis"] = -1, ["momentum"] = 1 - b.Momentum, ["epsilon"] = b.Eps, ["center"] = b.Bias is not null, ["scale"] = b.Weight is not null,
            });
            if (b.Weight is { } g) Weights.Add(new Weight(name + "/gamma", [b.NumFeatures], (float[])g.Data.Clone()));
            if (b.Bias is { } be) Weights.Add(new Weight(name + "/beta", [b.NumFeatures], (float[])be.Data.Clone()));
            Weights.Add(new Weight(name + "/moving_mean", [b.NumFeatures], (float[])b.RunningMean.Data.Clone()));
            Weights.Add(new Weight(name + "/moving_variance", [b.NumFeatures], (float[])b.RunningVar.Data.Clone()));
        }

        private string PaddingMode(Module layer, int index, long[] k, long[] s, IReadOnlyList<long> pads, long[] dil)
        {
            if (pads.All(p => p == 0)) return "valid";
            // TF's 'same' with stride 1 and an odd (dilated) kernel pads (k−1)/2 on each side, as the ONNX pads must.
            bool same = s.All(x => x == 1) && Enumerable.Range(0, 2).All(a => (dil[a] * (k[a] - 1)) % 2 == 0
                && pads[a] == dil[a] * (k[a] - 1) / 2 && pads[a + 2] == pads[a]);
            return same ? "same" : throw Unsupported(layer, index, $"padding [{string.Join(", ", pads)}] is neither 'valid' nor TF's 'same'");
        }

        private long[] Spatial(long[] k, long[] s, IReadOnlyList<long> pads, long[] dil) =>
            Enumerable.Range(0, 2).Select(a => (_shape[a + 1] + pads[a] + pads[a + 2] - dil[a] * (k[a] - 1) - 1) / s[a] + 1).ToArray();

        private static JsonArray Pair(long[] v) => new(v.Select(x => (JsonNode)x).ToArray());
    }
}
