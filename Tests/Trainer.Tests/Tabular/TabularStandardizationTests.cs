using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Tabular;

/// <summary>Feature vectors are standardised per feature, as scikit-learn's StandardScaler does, and the model says so.</summary>
[TestClass]
public sealed class TabularStandardizationTests
{
    private static readonly string Wdbc = Path.Combine(Python.RepoRoot, "data", "breast-cancer", "wdbc.csv");

    [TestMethod]
    public void PerFeatureStatisticsMatchNumPy()
    {
        Python.Require("numpy");
        var data = Datasets.FromCsv(Wdbc);
        var (mean, std) = Standardize.Moments(data, data.SampleSize);
        var (code, stdout, stderr) = Python.RunCode(
            "import numpy as np, json\n" +
            $"x = np.loadtxt(r'{Wdbc}', delimiter=',', skiprows=1, usecols=range(30))\n" +
            "print(json.dumps({'mean': x.mean(0).tolist(), 'std': x.std(0).tolist()}))\n");
        Assert.AreEqual(0, code, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        var npMean = r.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var npStd = r.GetProperty("std").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.AreEqual(30, mean.Length);
        Compare.Close(npMean, mean.Select(v => (double)v).ToArray(), 0, 1e-6, "per-feature means");
        Compare.Close(npStd, std.Select(v => (double)v).ToArray(), 0, 1e-6, "per-feature population stds");

        // A constant feature is only centred (std 1), as StandardScaler leaves it.
        var constant = new TensorDataset([1, 5, 2, 5, 3, 5], [2], [0L, 1L, 0L]);
        var (m, s) = Standardize.Moments(constant, 2);
        CollectionAssert.AreEqual(new[] { 2f, 5f }, m);
        Assert.AreEqual(1f, s[1]);
    }

    [TestMethod]
    public void CliStandardizesCsvFeaturesPerFeatureAndRecordsIt()
    {
        string dir = Directory.CreateTempSubdirectory("tabular").FullName;
        try
        {
            var (code, _, err) = OnnxkitCli.Run(["train", "--dataset", Wdbc, "--epochs", "1", "--plain", "--out", dir], 300);
            Assert.AreEqual(0, code, err);
            var meta = OnnxKit.IR.OnnxModel.Load(Path.Combine(dir, "model.onnx")).Metadata;
            Assert.IsFalse(meta["input_scale"].Contains("255"), $"tabular input is not pixels: {meta["input_scale"]}");
            var st = JsonDocument.Parse(meta["input_standardization"]).RootElement;
            Assert.AreEqual("feature", st.GetProperty("per").GetString());
            var means = st.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.AreEqual(30, means.Length, "one mean per feature");
            // Fitted on the training part (72% of the file): close to the whole file's means, feature by feature.
            var (all, _) = Standardize.Moments(Datasets.FromCsv(Wdbc), 30);
            for (int j = 0; j < 30; j++) Assert.AreEqual(all[j], means[j], 0.1 * Math.Abs(all[j]), $"feature {j}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
