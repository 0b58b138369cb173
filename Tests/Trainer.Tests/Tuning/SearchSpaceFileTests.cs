using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Tuning;

namespace OnnxKit.Tests.Tuning;

/// <summary>Space files in JSON and YAML, and the one-line errors for bad ones.</summary>
[TestClass]
public sealed class SearchSpaceFileTests
{
    [TestMethod]
    public void YamlAndJsonDescribeTheSameSpace()
    {
        string yaml = """
            optimizer: { type: categorical, choices: [adam, sgd] }
            lr: { type: float, low: 1e-4, high: 0.1, log: true }
            momentum: { type: float, low: 0.5, high: 0.99, when: { optimizer: [sgd] } }
            width: { type: int, low: 16, high: 256, log: true }
            """;
        var fromYaml = SearchSpaceFile.Parse(yaml, yaml: true);
        var fromJson = SearchSpaceFile.Parse(fromYaml.ToJson(), yaml: false);
        Assert.AreEqual(fromYaml.ToJson(), fromJson.ToJson());
        Assert.AreEqual(new FloatParameter("lr", 1e-4, 0.1, Log: true), fromYaml.Find("lr"));
        Assert.AreEqual("optimizer", fromYaml.Find("momentum")!.When!.Parent);
        CollectionAssert.AreEqual(new[] { "optimizer", "lr", "momentum", "width" }, fromYaml.Parameters.Select(p => p.Name).ToArray());
    }

    [TestMethod]
    [DataRow("""{ "lr": { "type": "float", "low": 0.1, "high": 0.01 } }""", "parameter 'lr': expected finite low < high")]
    [DataRow("""{ "lr": { "type": "float", "low": 0, "high": 1, "log": true } }""", "a log scale needs low > 0")]
    [DataRow("""{ "lr": { "type": "decimal", "low": 0, "high": 1 } }""", "unknown type 'decimal'")]
    [DataRow("""{ "lr": { "type": "float", "low": "small", "high": 1 } }""", "'low' expected a number, got 'small'")]
    [DataRow("""{ "m": { "type": "float", "low": 0, "high": 1, "when": { "optimizer": ["sgd"] } } }""", "depends on 'optimizer', which is not defined before it")]
    [DataRow("""{ "o": { "type": "categorical", "choices": ["a"] }, "m": { "type": "int", "low": 1, "high": 2, "when": { "o": "b" } } }""", "which is not one of its choices")]
    [DataRow("""{ "lr": { "type": "float", "lo": 0, "high": 1 } }""", "unknown key 'lo'")]
    [DataRow("""[1, 2]""", "expected a map from parameter name")]
    [DataRow("""{ "lr": """, "not valid JSON")]
    public void ABadSpaceFileIsRefusedNamingTheParameterAndWhatWasExpected(string json, string expected)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SearchSpaceFile.Parse(json, yaml: false, "space.json"));
        StringAssert.Contains(e.Message, expected);
        StringAssert.StartsWith(e.Message, "space.json: ");
    }
}
