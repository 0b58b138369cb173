using OnnxKit.Interop.Import;
using OnnxKit.Interop.Inspect;
using OnnxKit.IR;
using OnnxKit.Tests.Interop.Import;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Inspect;

[TestClass]
public sealed class ModelInspectorTests
{
    [TestMethod]
    public void DescribesAPytorchConv()
    {
        string path = Path.Combine(BackendData.Require("pytorch-converted"), "test_Conv2d", "model.onnx");
        var r = ModelInspector.Inspect(OnnxModel.Load(path));
        // Weight [4, 3, 3, 2] and bias [4], by hand: 72 + 4 parameters of 4 bytes.
        Assert.AreEqual(76L, r.ParameterCount);
        Assert.AreEqual(304L, r.ParameterBytes);
        Assert.AreEqual(6L, r.Opsets["ai.onnx"]);
        Assert.AreEqual("pytorch", r.Producer.Split(' ')[0]);
        Assert.AreEqual(1, r.Inputs.Count, "initializers listed as inputs (IR 3) are not inputs to feed");
        Assert.AreEqual(1, r.OpHistogram["Conv"]);
        Assert.AreEqual(0, r.OpsWithoutGradient.Count);
        Assert.IsTrue(r.Trainability.IsTrainable);
        var text = ModelInspector.Render(r);
        StringAssert.Contains(text, "params    76 trainable values");
        StringAssert.Contains(text, "in 2 tensor groups");
        StringAssert.Contains(text, "Conv×1");
        StringAssert.Contains(text, "trainable: yes (2 float initializers, 1 nodes on the training path)");
    }

    [TestMethod]
    public void NamesOperatorsWithoutGradientRules()
    {
        string path = Path.Combine(BackendData.Require("light"), "light_bvlc_alexnet.onnx");
        var r = ModelInspector.Inspect(ModelImporter.Load(path).Model);
        // AlexNet's LRN has no gradient rule; its weights are ConstantOfShape outputs, so nothing is trainable.
        CollectionAssert.Contains(r.OpsWithoutGradient.ToList(), "LRN");
        Assert.AreEqual(5, r.OpHistogram["Conv"]);
        Assert.AreEqual(3, r.OpHistogram["Gemm"]);
        Assert.AreEqual("data_0: float[1, 3, 224, 224]", r.Inputs.Single().ToString());
        Assert.AreEqual("prob_1: float[1, 1000]", r.Outputs.Single().ToString());
    }

    [TestMethod]
    public void CliShowsTheImportChanges()
    {
        string path = Path.Combine(BackendData.Require("pytorch-operator"), "test_operator_add_broadcast", "model.onnx");
        var (code, stdout, stderr) = OnnxkitCli.Run(["inspect", path, "--import"], 300);
        Assert.AreEqual(0, code, stdout + stderr);
        StringAssert.Contains(stdout, "opsets ai.onnx:17");
        StringAssert.Contains(stdout, "import    from opset 6");
        StringAssert.Contains(stdout, "legacy broadcast (axis 1) is numpy broadcasting here");
        StringAssert.Contains(stdout, "input     0: double[2, 3]");
        StringAssert.Contains(stdout, "trainable: nothing to train");
        var (code2, _, err2) = OnnxkitCli.Run(["inspect", path + ".missing"], 300);
        Assert.AreEqual(2, code2);
        StringAssert.Contains(err2, ".missing");
    }
}
