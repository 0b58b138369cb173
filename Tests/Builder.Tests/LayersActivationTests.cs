using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

[TestClass]
public sealed class LayersActivationTests
{
    [TestMethod]
    public void ActivationModulesMatchPyTorch()
    {
        long[] s = [4, 6, 5];
        new TorchCheck()
            .Layer("relu", new ReLU(), "nn.ReLU()", s, scale: 3)
            .Layer("leaky_relu", new LeakyReLU(0.2f), "nn.LeakyReLU(0.2)", s, scale: 3)
            .Layer("leaky_relu_default", new LeakyReLU(), "nn.LeakyReLU()", s, scale: 3)
            .Layer("elu", new ELU(0.7f), "nn.ELU(0.7)", s, scale: 3)
            .Layer("selu", new SELU(), "nn.SELU()", s, scale: 3)
            .Layer("gelu", new GELU(), "nn.GELU()", s, scale: 3)
            .Layer("gelu_tanh", new GELU("tanh"), "nn.GELU(approximate='tanh')", s, scale: 3)
            .Layer("silu", new SiLU(), "nn.SiLU()", s, scale: 3)
            .Layer("swish", new Swish(), "nn.SiLU()", s, scale: 3)
            .Layer("sigmoid", new Sigmoid(), "nn.Sigmoid()", s, scale: 3)
            .Layer("tanh", new Tanh(), "nn.Tanh()", s, scale: 3)
            .Layer("softmax_last", new Softmax(-1), "nn.Softmax(dim=-1)", s, scale: 3)
            .Layer("softmax_1", new Softmax(1), "nn.Softmax(dim=1)", s, scale: 3)
            .Layer("log_softmax_0", new LogSoftmax(0), "nn.LogSoftmax(dim=0)", s, scale: 3)
            // Scale 10 puts many inputs beyond the thresholds, where PyTorch switches to the identity.
            .Layer("softplus", new Softplus(), "nn.Softplus()", s, scale: 10)
            .Layer("softplus_beta_threshold", new Softplus(2f, 5f), "nn.Softplus(beta=2, threshold=5)", s, scale: 10)
            .Run();
    }

    [TestMethod]
    public void ResidualAndLambdaMatchPyTorch()
    {
        long[] s = [3, 8];
        var x = HostTensor.F32("x", LayersTesting.Randn(5, s), s);
        new TorchCheck()
            // ModuleDict gives the torch side the same parameter names (fn.weight, fn.bias) as Residual's child.
            .Add("residual", LayersTesting.OneLayer(new Residual(new Dense(8, inFeatures: 8)), s), "nn.ModuleDict({'fn': nn.Linear(8, 8)})", [x],
                [("y", "x + m['fn'](x)")])
            .Add("sequential_lambda", LayersTesting.OneLayer(new Sequential(new Dense(6, inFeatures: 8), new Lambda(v => v * 2.0 + 1.0), new Dense(3, inFeatures: 6)), s),
                "nn.Sequential(nn.Linear(8, 6), nn.Identity(), nn.Linear(6, 3))", [x], [("y", "m[2](m[0](x) * 2 + 1)")])
            .Run();
    }

    [TestMethod]
    public void SoftplusIsTheIdentityAboveTheThreshold()
    {
        // Hand values: softplus(1) = ln(1 + e) = 1.3132617; above βx = 20 the output is x itself.
        var outs = OrtRun.Run(LayersTesting.OneLayer(new Softplus(), [3]), HostTensor.F32("x", [1f, 25f, -30f], 3));
        Compare.Close(new float[] { 1.3132617f, 25f, 9.357623e-14f }, outs["y"].Floats, 1e-6);
        Assert.ThrowsExactly<ArgumentException>(() => new GELU("fast"));
    }
}
