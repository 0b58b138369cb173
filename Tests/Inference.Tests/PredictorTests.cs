using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

[TestClass]
public sealed class PredictorTests
{
    private static readonly float[] X = [1, 1, 1, -1, 0, 2, 0.5f, 0.25f, -4];

    [TestMethod]
    public void GemmMatchesHandComputedValues()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var y = p.Predict(TensorValue.FromFloats(X, 3, 3)).Floats("y");
        // row 0: [1+2+3+0.5, -1+0+1-0.5] = [6.5, -0.5]; row 1: [-1+0+6+0.5, 1+0+2-0.5] = [5.5, 2.5]
        // row 2: [0.5+0.5-12+0.5, -0.5+0-4-0.5] = [-10.5, -5]
        Compare.Close(new float[] { 6.5f, -0.5f, 5.5f, 2.5f, -10.5f, -5f }, y, 1e-5);
        Compare.Close(TestModels.Expected(X), y, 1e-5);
    }

    [TestMethod]
    public void MixedElementTypesRunThroughHostArrays()
    {
        using var p = Predictor.FromBytes(TestModels.Mixed());
        var outs = p.Predict(new Dictionary<string, TensorValue>
        {
            ["a"] = TensorValue.FromInt64s([1, -2, 3, 40], 2, 2),
            ["flag"] = TensorValue.FromBools([true, false, false, true], 2, 2),
            ["d"] = TensorValue.FromDoubles([0.5, 0.25, -1.5, 9], 2, 2),
            ["k"] = TensorValue.FromInt32s([7, -8], 2),
        });
        CollectionAssert.AreEqual(new long[] { 2, -4, 6, 80 }, outs["twice_a"].ToArray<long>());
        CollectionAssert.AreEqual(new double[] { 1, 0.25, -1.5, 40 }, outs["sel"].ToArray<double>());
        CollectionAssert.AreEqual(new int[] { 14, -16 }, outs["twice_k"].ToArray<int>());
        Assert.AreEqual(TensorElementType.Int64, outs["twice_a"].ElementType);
        CollectionAssert.AreEqual(new long[] { 2, 2 }, outs["sel"].Shape);
    }

    [TestMethod]
    public void DenseTensorAndOrtValueInputsGiveTheSameOutputs()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var dense = new DenseTensor<float>(X, [3, 3]);
        var fromDense = p.Predict(TensorValue.FromDenseTensor(dense)).Floats("y");
        using var ort = OrtValue.CreateTensorValueFromMemory((float[])X.Clone(), [3, 3]);
        var fromOrt = p.Predict(TensorValue.FromOrtValue(ort)).Floats("y");
        Compare.Close(TestModels.Expected(X), fromDense, 1e-5);
        Compare.Close(TestModels.Expected(X), fromOrt, 1e-5);
        // The OrtValue is still the caller's: readable after the run.
        Assert.AreEqual(X[4], ort.GetTensorDataAsSpan<float>()[4]);
    }

    [TestMethod]
    public void SymbolicBatchDimensionTakesAnySizeIncludingZero()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        foreach (int rows in new[] { 1, 2, 7 })
        {
            var x = Enumerable.Range(0, rows * 3).Select(i => (float)(i % 5) - 2).ToArray();
            Compare.Close(TestModels.Expected(x), p.Predict(TensorValue.FromFloats(x, rows, 3)).Floats("y"), 1e-5, what: $"{rows} rows");
        }
        var empty = p.Predict(TensorValue.FromFloats([], 0, 3))["y"];
        CollectionAssert.AreEqual(new long[] { 0, 2 }, empty.Shape);
    }

    [TestMethod]
    public void PredictBatchMergesAndSplitsRowsExactly()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var requests = new[] { X[..3], X[3..], X[..6] }
            .Select(x => (IReadOnlyDictionary<string, TensorValue>)new Dictionary<string, TensorValue> { ["x"] = TensorValue.FromFloats(x, x.Length / 3, 3) })
            .ToArray();
        var results = p.PredictBatch(requests);
        Assert.AreEqual(3, results.Count);
        Compare.Close(TestModels.Expected(X[..3]), results[0].Floats("y"), 1e-5);
        Compare.Close(TestModels.Expected(X[3..]), results[1].Floats("y"), 1e-5);
        Compare.Close(TestModels.Expected(X[..6]), results[2].Floats("y"), 1e-5);
        CollectionAssert.AreEqual(new long[] { 2, 2 }, results[1]["y"].Shape);
    }

    [TestMethod]
    public void UnknownInputNameIsNamed()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm(), new PredictorOptions { Name = "gemm" });
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Predict(new Dictionary<string, TensorValue> { ["input"] = TensorValue.FromFloats(X, 3, 3) }));
        StringAssert.Contains(e.Message, "'gemm' has no input 'input'");
        StringAssert.Contains(e.Message, "x (float32 [batch, 3])");
    }

    [TestMethod]
    public void MissingInputIsNamed()
    {
        using var p = Predictor.FromBytes(TestModels.Mixed());
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Predict(new Dictionary<string, TensorValue> { ["a"] = TensorValue.FromInt64s([1, 2], 1, 2) }));
        StringAssert.Contains(e.Message, "input 'flag (bool [batch, 2])' is missing");
    }

    [TestMethod]
    public void WrongElementTypeNamesBothTypes()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Predict(TensorValue.FromDoubles([1, 2, 3], 1, 3)));
        StringAssert.Contains(e.Message, "input 'x': datatype FP64 does not match the model, which expects FP32 with shape [batch, 3] (float32, got float64)");
    }

    [TestMethod]
    public void WrongRankNamesTheExpectedShape()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Predict(TensorValue.FromFloats([1, 2, 3], 3)));
        StringAssert.Contains(e.Message, "input 'x' must have rank 2 (shape [batch, 3]), got shape [3]");
    }

    [TestMethod]
    public void FixedDimensionMismatchIsNamed()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Predict(TensorValue.FromFloats(new float[8], 2, 4)));
        StringAssert.Contains(e.Message, "input 'x' dimension 1 must be 3 (shape [batch, 3]), got shape [2, 4]");
        using var f = Predictor.FromBytes(TestModels.Fixed());
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => f.Predict(TensorValue.FromFloats(new float[9], 3, 3)));
        StringAssert.Contains(e2.Message, "dimension 0 must be 2 (shape [2, 3])");
        CollectionAssert.AreEqual(new float[] { 0, 1, 0, 2, 0, 3 }, f.Predict(TensorValue.FromFloats([-1, 1, -2, 2, -3, 3], 2, 3)).Floats("y"));
    }

    [TestMethod]
    public void DataLengthMustEqualShapeProduct()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Predict(TensorValue.FromFloats([1, 2, 3, 4, 5], 2, 3)));
        StringAssert.Contains(e.Message, "input 'x' with shape [2, 3] needs 6 elements, its data has 5");
    }

    [TestMethod]
    public void SameSymbolMustHaveTheSameSizeAcrossInputs()
    {
        using var p = Predictor.FromBytes(TestModels.SharedSymbol());
        var ok = p.Predict(new Dictionary<string, TensorValue> { ["x"] = TensorValue.FromFloats([1, 2], 2), ["y"] = TensorValue.FromFloats([10, 20], 2) });
        CollectionAssert.AreEqual(new float[] { 11, 22 }, ok.Floats("z"));
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            p.Predict(new Dictionary<string, TensorValue> { ["x"] = TensorValue.FromFloats([1, 2], 2), ["y"] = TensorValue.FromFloats([1, 2, 3], 3) }));
        StringAssert.Contains(e.Message, "input 'y' dimension 0 ('n') is 3 but input 'x' has 'n' = 2");
    }

    [TestMethod]
    public void MetadataReportsOpsetProducerShapesLabelsAndNormalization()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm(labels: ["cat", "dog"], normalization: "{\"mean\": [0.5], \"std\": [0.25]}"));
        var info = p.Info;
        Assert.AreEqual(17L, info.Opset);
        Assert.AreEqual(8L, info.IrVersion);
        Assert.AreEqual("onnxkit-tests", info.Producer);
        Assert.AreEqual("1.2.3", info.ProducerVersion);
        Assert.AreEqual("gemm", info.GraphName);
        Assert.AreEqual(1, info.Inputs.Count);
        Assert.AreEqual("x", info.Inputs[0].Name);
        Assert.AreEqual("FP32", info.Inputs[0].ProtocolDatatype);
        CollectionAssert.AreEqual(new long[] { -1, 3 }, info.Inputs[0].Dimensions);
        Assert.AreEqual("[batch, 3]", info.Inputs[0].ShapeText);
        Assert.AreEqual("y", info.Outputs[0].Name);
        Assert.AreEqual(2L, info.Outputs[0].Dimensions[1]);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, info.Labels);
        CollectionAssert.AreEqual(new[] { 0.5f }, info.NormalizationMean);
        CollectionAssert.AreEqual(new[] { 0.25f }, info.NormalizationStd);
        Assert.AreEqual("[\"cat\",\"dog\"]", info.CustomMetadata["labels"]);
    }

    [TestMethod]
    public void MalformedLabelsMetadataIsReported()
    {
        var e = Assert.ThrowsExactly<ModelLoadException>(() => Predictor.FromBytes(TestModels.Gemm(normalization: "{\"mean\": \"x\"}")));
        StringAssert.Contains(e.Message, "metadata 'normalization'");
    }

    [TestMethod]
    public void LoadFromFileWithWarmUpAndThreadSettings()
    {
        string dir = Directory.CreateTempSubdirectory("onnxkit-pred-").FullName;
        try
        {
            string path = Path.Combine(dir, "gemm.onnx");
            File.WriteAllBytes(path, TestModels.Gemm());
            using var p = Predictor.Load(path, new PredictorOptions { WarmUp = true, IntraOpThreads = 1, InterOpThreads = 1, OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC });
            Assert.AreEqual("gemm", p.Name);
            Compare.Close(TestModels.Expected(X), p.Predict(TensorValue.FromFloats(X, 3, 3)).Floats("y"), 1e-5);
            var missing = Assert.ThrowsExactly<FileNotFoundException>(() => Predictor.Load(Path.Combine(dir, "nope.onnx")));
            StringAssert.Contains(missing.Message, "nope.onnx");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void CorruptModelBytesFailWithInvalidData()
    {
        var e = Assert.ThrowsExactly<ModelLoadException>(() => Predictor.FromBytes(TestModels.Corrupt, new PredictorOptions { Name = "broken" }));
        StringAssert.Contains(e.Message, "model 'broken'");
    }

    [TestMethod]
    public void CudaWithoutTheGpuPackageFailsNamingWhatIsMissing()
    {
        // No GPU here: the CPU build lacks the CUDA provider, the GPU build (-p:OnnxKitGpu=true) lacks the driver; the error must say which.
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            Predictor.FromBytes(TestModels.Gemm(), new PredictorOptions { ExecutionProvider = ExecutionProvider.Cuda, Name = "gemm" }));
        StringAssert.Contains(e.Message, "model 'gemm'");
        StringAssert.Contains(e.Message, "CUDA execution provider");
        StringAssert.Contains(e.Message, "CUDA 13 and cuDNN 9");
        bool gpuBuild = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        StringAssert.Contains(e.Message, gpuBuild ? "libcuda.so.1 (the NVIDIA driver) was not found" : "build with -p:OnnxKitGpu=true (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0");
    }

    [TestMethod]
    public void ConcurrentPredictionsShareTheSession()
    {
        using var p = Predictor.FromBytes(TestModels.Gemm());
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var x = new float[] { i, -i, 1 };
            Compare.Close(TestModels.Expected(x), p.Predict(TensorValue.FromFloats(x, 1, 3)).Floats("y"), 1e-4);
        });
    }
}
