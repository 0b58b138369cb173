namespace OnnxKit.Tests.Interop.Import;

/// <summary>One line per backend folder: how many cases import, round-trip and match (the per-case rows are in <see cref="BackendCaseTests"/>).</summary>
[TestClass]
public sealed class BackendSummaryTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("pytorch-converted")]
    [DataRow("pytorch-operator")]
    public void PassCountPerFolder(string folder)
    {
        string dir = BackendData.Require(folder);
        var names = Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var failures = new List<string>();
        foreach (var name in names)
        {
            try { BackendCaseTests.Check(folder, name!); }
            catch (Exception e) { failures.Add($"{name}: {e.Message.Split('\n')[0]}"); }
        }
        string line = $"{folder}: {names.Count - failures.Count}/{names.Count} cases pass";
        TestContext.WriteLine(line);
        Console.WriteLine(line);
        Assert.AreEqual(0, failures.Count, line + "\n" + string.Join("\n", failures));
    }
}
