using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OnnxKit.Training.Tuning;

/// <summary>
/// Reads a search space from JSON or YAML: one entry per parameter, in draw order.
/// <code>
/// lr:        { type: float, low: 1e-4, high: 1e-1, log: true }
/// depth:     { type: int, low: 1, high: 3 }
/// optimizer: { type: categorical, choices: [adam, sgd] }
/// momentum:  { type: float, low: 0.5, high: 0.99, when: { optimizer: [sgd] } }
/// </code>
/// </summary>
public static class SearchSpaceFile
{
    /// <summary>Reads <paramref name="path"/> (<c>.yaml</c>/<c>.yml</c> as YAML, anything else as JSON).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid space; the message names the file, the parameter and what was expected.</exception>
    public static SearchSpace Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"search space file '{path}' does not exist", path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return Parse(File.ReadAllText(path), ext is ".yaml" or ".yml", path);
    }

    /// <summary>Parses a space from text; <paramref name="source"/> names it in errors.</summary>
    public static SearchSpace Parse(string text, bool yaml, string source = "search space")
    {
        JsonNode? root;
        try { root = yaml ? FromYaml(text) : JsonNode.Parse(text); }
        catch (Exception e) when (e is JsonException or YamlException)
        {
            throw new InvalidDataException($"{source}: not valid {(yaml ? "YAML" : "JSON")}: {e.Message}");
        }
        if (root is not JsonObject obj || obj.Count == 0)
            throw new InvalidDataException($"{source}: expected a map from parameter name to its definition ({{ type: float|int|categorical, … }})");
        try { return new SearchSpace(obj.Select(kv => ReadParameter(kv.Key, kv.Value))); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}"); }
    }

    private static SearchParameter ReadParameter(string name, JsonNode? node)
    {
        if (node is not JsonObject o) throw new ArgumentException($"parameter '{name}': expected a map with 'type', got {node?.ToJsonString() ?? "nothing"}");
        string type = Text(o, name, "type") ?? throw new ArgumentException($"parameter '{name}': 'type' is missing (float, int or categorical)");
        foreach (var key in o.Select(kv => kv.Key))
            if (key is not ("type" or "low" or "high" or "log" or "choices" or "when"))
                throw new ArgumentException($"parameter '{name}': unknown key '{key}' (expected type, low, high, log, choices, when)");
        SearchParameter p = type.ToLowerInvariant() switch
        {
            "float" => new FloatParameter(name, Number(o, name, "low"), Number(o, name, "high"), Bool(o, name, "log")),
            "int" => new IntParameter(name, WholeNumber(o, name, "low"), WholeNumber(o, name, "high"), Bool(o, name, "log")),
            "categorical" => new CategoricalParameter(name, o["choices"] is JsonArray a && a.Count > 0
                ? a.Select(v => Scalar(v, name, "choices")).ToList()
                : throw new ArgumentException($"parameter '{name}': a categorical parameter needs a non-empty list 'choices'")),
            _ => throw new ArgumentException($"parameter '{name}': unknown type '{type}' (expected float, int or categorical)"),
        };
        if (o["when"] is { } when)
        {
            if (when is not JsonObject w || w.Count != 1)
                throw new ArgumentException($"parameter '{name}': 'when' must name one parameter and its values, e.g. when: {{ optimizer: [sgd] }}");
            var (parent, values) = w.Single();
            var list = values is JsonArray va ? va.Select(v => Scalar(v, name, "when")).ToList() : [Scalar(values, name, "when")];
            p = p with { When = new Condition(parent, list) };
        }
        return p;
    }

    private static string? Text(JsonObject o, string name, string key) => o[key] is null ? null : Scalar(o[key], name, key);

    private static string Scalar(JsonNode? v, string name, string key) => v is JsonValue jv
        ? jv.TryGetValue<string>(out var s) ? s : jv.ToJsonString()
        : throw new ArgumentException($"parameter '{name}': '{key}' expected a value, got {v?.ToJsonString() ?? "nothing"}");

    private static double Number(JsonObject o, string name, string key)
    {
        string s = Text(o, name, key) ?? throw new ArgumentException($"parameter '{name}': '{key}' is missing");
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d : throw new ArgumentException($"parameter '{name}': '{key}' expected a number, got '{s}'");
    }

    private static int WholeNumber(JsonObject o, string name, string key)
    {
        double d = Number(o, name, key);
        return d == Math.Round(d) && Math.Abs(d) < int.MaxValue ? (int)d : throw new ArgumentException($"parameter '{name}': '{key}' expected a whole number, got {d}");
    }

    private static bool Bool(JsonObject o, string name, string key) => Text(o, name, key)?.ToLowerInvariant() switch
    {
        null or "false" => false,
        "true" => true,
        var s => throw new ArgumentException($"parameter '{name}': '{key}' expected true or false, got '{s}'"),
    };

    // YAML's scalars are all text; the readers above parse them the same way as JSON's numbers and booleans.
    private static JsonNode? FromYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode v => v.Value is null ? null : JsonValue.Create(v.Value),
        _ => null,
    };
}
