using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Data;

namespace OnnxKit.Tests.Data;

[TestClass]
public sealed class CsvReaderTests
{
    [TestMethod]
    public void StringLabelsByNameAreMappedAndTheMappingKept()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["iris.csv"], "sepal,species,petal\n5.1,setosa,1.4\n7.0,versicolor,4.7\n\n4.9,setosa,-1.5e-1\n");
        var d = Datasets.FromCsv(dir["iris.csv"], new CsvOptions { LabelColumn = "species" });
        CollectionAssert.AreEqual(new[] { "setosa", "versicolor" }, d.ClassNames.ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 1, 0 }, d.Labels);
        CollectionAssert.AreEqual(new[] { 2 }, d.SampleShape);
        CollectionAssert.AreEqual(new[] { 5.1f, 1.4f, 7.0f, 4.7f, 4.9f, -0.15f }, d.Features);
        // the test file reuses the training mapping, even when it lacks a class
        File.WriteAllText(dir["test.csv"], "sepal,species,petal\n6.0,versicolor,4.0\n");
        var t = Datasets.FromCsv(dir["test.csv"], new CsvOptions { LabelColumn = "species", ClassNames = d.ClassNames });
        CollectionAssert.AreEqual(new long[] { 1 }, t.Labels);
        Assert.AreEqual(2, t.NumClasses);
    }

    [TestMethod]
    public void TsvByExtensionLabelByIndexAndIgnoredColumns()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.tsv"], "id\tlabel\tx\ty\n7\t2\t1.5\t2\n8\t0\t3\t4\n");
        var d = Datasets.FromCsv(dir["t.tsv"], new CsvOptions { LabelColumnIndex = 1, IgnoredColumns = ["id"], NumClasses = 3 });
        CollectionAssert.AreEqual(new long[] { 2, 0 }, d.Labels);
        CollectionAssert.AreEqual(new[] { 1.5f, 2f, 3f, 4f }, d.Features);
        Assert.AreEqual(3, d.NumClasses);
    }

    [TestMethod]
    public void QuotedFieldsWithoutHeader()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["q.csv"], "1.5,2,\"a, \"\"b\"\"\"\n3,4,c\n");
        var d = Datasets.FromCsv(dir["q.csv"], new CsvOptions { HasHeader = false, LabelColumnIndex = 2 });
        CollectionAssert.AreEqual(new[] { "a, \"b\"", "c" }, d.ClassNames.ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 1 }, d.Labels);
        CollectionAssert.AreEqual(new[] { 1.5f, 2f, 3f, 4f }, d.Features);
    }

    [TestMethod]
    public void SelectedFeatureColumnsInTheGivenOrder()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f.csv"], "x,y,z,label\n1,2,3,0\n4,5,6,1\n");
        var d = Datasets.FromCsv(dir["f.csv"], new CsvOptions { FeatureColumns = ["z", "x"], LabelColumn = "label" });
        CollectionAssert.AreEqual(new[] { 3f, 1f, 6f, 4f }, d.Features);
        CollectionAssert.AreEqual(new long[] { 0, 1 }, d.Labels);
    }

    [TestMethod]
    public void RegressionTargetsWhenLabelsAreFractional()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.csv"], "a,b,price\n1,2,3.25\n4,5,-1\n");
        var d = Datasets.FromCsv(dir["r.csv"]);
        Assert.IsNull(d.Labels);
        CollectionAssert.AreEqual(new[] { 3.25f, -1f }, d.Targets);
        CollectionAssert.AreEqual(new[] { 1f, 2f, 4f, 5f }, d.Features);
    }

    [TestMethod]
    public void NonNumericCellNamesFileLineAndColumn()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["bad.csv"], "a,b,label\n1,2,0\n3,x3,1\n");
        var e = Assert.ThrowsExactly<FormatException>(() => Datasets.FromCsv(dir["bad.csv"]));
        StringAssert.Contains(e.Message, "bad.csv");
        StringAssert.Contains(e.Message, "line 3");
        StringAssert.Contains(e.Message, "'b' (#2)");
        StringAssert.Contains(e.Message, "'x3' is not a number");
    }

    [TestMethod]
    public void WrongFieldCountNamesLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["short.csv"], "a,b,label\n1,2,0\n3,1\n");
        var e = Assert.ThrowsExactly<FormatException>(() => Datasets.FromCsv(dir["short.csv"]));
        StringAssert.Contains(e.Message, "short.csv: line 3 has 2 fields, expected 3");
    }

    [TestMethod]
    public void LabelOutsideClassRangeNamesLineAndRange()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["l.csv"], "a,label\n1,0\n2,12\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromCsv(dir["l.csv"], new CsvOptions { NumClasses = 10 }));
        StringAssert.Contains(e.Message, "l.csv");
        StringAssert.Contains(e.Message, "line 3");
        StringAssert.Contains(e.Message, "label 12 is outside the class range [0, 10)");
    }

    [TestMethod]
    public void UnknownLabelForFixedMappingIsReported()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["u.csv"], "a,label\n1,cat\n2,emu\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Datasets.FromCsv(dir["u.csv"], new CsvOptions { ClassNames = ["cat", "dog"] }));
        StringAssert.Contains(e.Message, "line 3");
        StringAssert.Contains(e.Message, "'emu' is not one of the 2 classes [cat, dog]");
    }

    [TestMethod]
    public void UnknownLabelColumnListsColumns()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.csv"], "a,b\n1,2\n");
        var e = Assert.ThrowsExactly<ArgumentException>(() => Datasets.FromCsv(dir["c.csv"], new CsvOptions { LabelColumn = "target" }));
        StringAssert.Contains(e.Message, "'target' not found; the columns are a, b");
    }
}
