using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace OnnxKit.Bench.TorchSharpPeer;

/// <summary>
/// ModelZoo's architectures in TorchSharp, shape for shape (Builder/Zoo/ModelZoo.cs and bench/pytorch_bench.py), with
/// libtorch's default initialisation, which is the family ModelZoo's layers copy. Inputs are [N, 784] for the MLP and
/// [N, 28, 28] for the others.
/// </summary>
internal static class Models
{
    public static readonly string[] Names = ["mlp", "cnn", "resnet-small", "transformer-small", "lstm"];

    public static Module<Tensor, Tensor> Create(string name) => name switch
    {
        "mlp" => Sequential(Flatten(), Linear(784, 128), ReLU(), Dropout(0.2), Linear(128, 10)),
        "cnn" => Sequential(Unflatten(1, [1, 28]), Conv2d(1, 32, 3), ReLU(), MaxPool2d(2),
                            Conv2d(32, 64, 3), ReLU(), MaxPool2d(2), Dropout(0.25), Flatten(), Linear(1600, 10)),
        "resnet-small" => Sequential(Unflatten(1, [1, 28]), Conv2d(1, 16, 3, padding: 1, bias: false), BatchNorm2d(16), ReLU(),
                            new BasicBlock(16, 16, 1), new BasicBlock(16, 32, 2), new BasicBlock(32, 64, 2),
                            AdaptiveAvgPool2d(1), Flatten(), Linear(64, 10)),
        "transformer-small" => new TransformerSmall(),
        "lstm" => new LstmClassifier(),
        _ => throw new ArgumentException($"unknown workload '{name}': expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>Two 3×3 Conv+BN with a skip connection, projected by a 1×1 Conv+BN where the shape changes.</summary>
    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1, conv2;
        private readonly BatchNorm2d bn1, bn2;
        private readonly Conv2d? downsample;
        private readonly BatchNorm2d? downsample_bn;

        public BasicBlock(long cin, long cout, long stride) : base("BasicBlock")
        {
            conv1 = Conv2d(cin, cout, 3, stride: stride, padding: 1, bias: false); bn1 = BatchNorm2d(cout);
            conv2 = Conv2d(cout, cout, 3, padding: 1, bias: false); bn2 = BatchNorm2d(cout);
            if (stride != 1 || cin != cout) { downsample = Conv2d(cin, cout, 1, stride: stride, bias: false); downsample_bn = BatchNorm2d(cout); }
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = functional.relu(bn1.forward(conv1.forward(x)));
            y = bn2.forward(conv2.forward(y));
            var skip = downsample is null ? x : downsample_bn!.forward(downsample.forward(x));
            return functional.relu(y + skip);
        }
    }

    /// <summary>
    /// 4×4 patches → Linear(64) + learned positions N(0, 0.02²) → 2 pre-norm encoder layers (4 heads, feed-forward 128,
    /// GELU, dropout 0.1) → mean over patches → LayerNorm → Linear. TorchSharp's attention is sequence-first, so the
    /// tokens travel as [tokens, N, d].
    /// </summary>
    private sealed class TransformerSmall : Module<Tensor, Tensor>
    {
        private const long D = 64, Patch = 4, Grid = 7;
        private readonly Linear embed, head;
        private readonly Parameter pos;
        private readonly ModuleList<PreNormEncoderLayer> layers;
        private readonly LayerNorm norm;

        public TransformerSmall() : base("TransformerSmall")
        {
            embed = Linear(Patch * Patch, D);
            pos = Parameter(randn(Grid * Grid, 1, D) * 0.02);
            layers = ModuleList(new PreNormEncoderLayer(D, 4, 2 * D, 0.1), new PreNormEncoderLayer(D, 4, 2 * D, 0.1));
            norm = LayerNorm(D);
            head = Linear(D, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var n = x.shape[0];
            var t = x.reshape(n, Grid, Patch, Grid, Patch).permute(1, 3, 0, 2, 4).reshape(Grid * Grid, n, Patch * Patch);
            t = embed.forward(t) + pos;
            foreach (var layer in layers) t = layer.forward(t);
            return head.forward(norm.forward(t.mean([0])));
        }
    }

    /// <summary>PyTorch's TransformerEncoderLayer with norm_first=True and GELU (TorchSharp's has neither option).</summary>
    private sealed class PreNormEncoderLayer : Module<Tensor, Tensor>
    {
        private readonly MultiheadAttention self_attn;
        private readonly Linear linear1, linear2;
        private readonly LayerNorm norm1, norm2;
        private readonly Dropout dropout, dropout1, dropout2;

        public PreNormEncoderLayer(long d, long heads, long ff, double p) : base("PreNormEncoderLayer")
        {
            self_attn = MultiheadAttention(d, heads, dropout: p);
            linear1 = Linear(d, ff); linear2 = Linear(ff, d);
            norm1 = LayerNorm(d); norm2 = LayerNorm(d);
            dropout = Dropout(p); dropout1 = Dropout(p); dropout2 = Dropout(p);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = norm1.forward(x);
            x = x + dropout1.forward(self_attn.forward(h, h, h, null, false, null).Item1);
            var f = linear2.forward(dropout.forward(functional.gelu(linear1.forward(norm2.forward(x)))));
            return x + dropout2.forward(f);
        }
    }

    /// <summary>The image's 28 rows as a sequence → LSTM(128) → final hidden state → Linear.</summary>
    private sealed class LstmClassifier : Module<Tensor, Tensor>
    {
        private readonly LSTM lstm;
        private readonly Linear head;

        public LstmClassifier() : base("LstmClassifier")
        {
            lstm = LSTM(28, 128, batchFirst: true);
            head = Linear(128, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (_, h, _) = lstm.forward(x);
            return head.forward(h[-1]);
        }
    }
}
