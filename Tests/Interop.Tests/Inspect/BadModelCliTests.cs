using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Schema;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.Inspect;

/// <summary>
/// Every verb that reads a model answers a malformed one with one line on stderr and exit code 2 (a user mistake),
/// never an unhandled exception: the OnnxKit loader's refusals (inspect, inspect --import, finetune) and ONNX
/// Runtime's (evaluate, predict) alike.
/// </summary>
[TestClass]
public sealed class BadModelCliTests
{
    private static string _dir = "";

    [ClassInitialize]
    public static void WriteModels(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("onnxkit-badcli-").FullName;
        var source = File.ReadAllBytes(Path.Combine(Python.RepoRoot, "Tests", "data", "torch_mlp.onnx"));
        var dangling = ModelProto.Parser.ParseFrom(source);
        dangling.Graph.Node[1].Input[0] = "nowhere";
        File.WriteAllBytes(Path.Combine(_dir, "dangling.onnx"), dangling.ToByteArray());
        var wrap = ModelProto.Parser.ParseFrom(source);
        var t = new TensorProto { Name = "huge", DataType = 1, RawData = ByteString.CopyFrom(new byte[384]) };
        t.Dims.AddRange([1L << 61, 8, 1]);
        wrap.Graph.Initializer.Add(t);
        File.WriteAllBytes(Path.Combine(_dir, "wrap.onnx"), wrap.ToByteArray());
    }

    [ClassCleanup]
    public static void Remove() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static void AssertOneLineExit2(string expected, params string[] args)
    {
        var (code, _, err) = OnnxkitCli.Run(args, 300);
        Assert.AreEqual(2, code, err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, lines.Length, err);
        StringAssert.StartsWith(lines[0], "onnxkit: ");
        StringAssert.Contains(lines[0], expected);
    }

    [TestMethod]
    public void InspectReportsTheDanglingInput() =>
        AssertOneLineExit2("reads 'nowhere'", "inspect", Path.Combine(_dir, "dangling.onnx"));

    [TestMethod]
    public void InspectImportReportsTheOverflowingDims() =>
        AssertOneLineExit2("tensor 'huge'", "inspect", "--import", Path.Combine(_dir, "wrap.onnx"));

    [TestMethod]
    public void FinetuneReportsTheDanglingInput() =>
        AssertOneLineExit2("reads 'nowhere'", "finetune", Path.Combine(_dir, "dangling.onnx"), "--epochs", "1");

    [TestMethod]
    public void EvaluateReportsWhatOnnxRuntimeRefused() =>
        AssertOneLineExit2("cannot load model", "evaluate", "--model", Path.Combine(_dir, "dangling.onnx"));

    [TestMethod]
    public void PredictReportsWhatOnnxRuntimeRefused() =>
        AssertOneLineExit2("cannot load model", "predict", "--model", Path.Combine(_dir, "dangling.onnx"), Path.Combine(_dir, "wrap.onnx"));
}
