using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxKit.Training.Tuning;

/// <summary>
/// The hyper-parameters a study searches, in order: a conditional parameter follows the categorical parameter it
/// depends on, so a trial's values are drawn front to back. Built-in spaces come from <see cref="SearchSpaces"/>,
/// files from <see cref="SearchSpaceFile"/>.
/// </summary>
public sealed class SearchSpace
{
    /// <summary>The parameters in draw order.</summary>
    public IReadOnlyList<SearchParameter> Parameters { get; }

    /// <summary>Checks the parameters (distinct names, valid ranges, conditions on earlier categorical parameters and their choices).</summary>
    /// <exception cref="ArgumentException">Naming the parameter at fault and what was expected.</exception>
    public SearchSpace(IEnumerable<SearchParameter> parameters)
    {
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("a search space needs at least one parameter");
        var seen = new Dictionary<string, SearchParameter>();
        foreach (var p in list)
        {
            if (string.IsNullOrWhiteSpace(p.Name)) throw new ArgumentException("a parameter has an empty name");
            if (seen.ContainsKey(p.Name)) throw new ArgumentException($"parameter '{p.Name}' is defined twice");
            CheckRange(p);
            if (p.When is { } c)
            {
                if (!seen.TryGetValue(c.Parent, out var parent))
                    throw new ArgumentException($"parameter '{p.Name}' depends on '{c.Parent}', which is not defined before it");
                if (parent is not CategoricalParameter cat)
                    throw new ArgumentException($"parameter '{p.Name}' depends on '{c.Parent}', which is not categorical (conditions name choices)");
                foreach (var v in c.Values)
                    if (!cat.Choices.Contains(v))
                        throw new ArgumentException($"parameter '{p.Name}' depends on {c.Parent} = '{v}', which is not one of its choices ({string.Join(", ", cat.Choices)})");
            }
            seen[p.Name] = p;
        }
        Parameters = list;
    }

    private static void CheckRange(SearchParameter p)
    {
        switch (p)
        {
            case FloatParameter f:
                if (!double.IsFinite(f.Low) || !double.IsFinite(f.High) || !(f.Low < f.High))
                    throw new ArgumentException($"parameter '{p.Name}': expected finite low < high, got low {f.Low}, high {f.High}");
                if (f.Log && !(f.Low > 0)) throw new ArgumentException($"parameter '{p.Name}': a log scale needs low > 0, got {f.Low}");
                break;
            case IntParameter i:
                if (i.Low > i.High) throw new ArgumentException($"parameter '{p.Name}': expected low ≤ high, got low {i.Low}, high {i.High}");
                if (i.Log && i.Low < 1) throw new ArgumentException($"parameter '{p.Name}': a log scale needs low ≥ 1, got {i.Low}");
                break;
            case CategoricalParameter c:
                if (c.Choices.Count == 0) throw new ArgumentException($"parameter '{p.Name}': expected at least one choice");
                if (c.Choices.Distinct().Count() != c.Choices.Count) throw new ArgumentException($"parameter '{p.Name}': its choices repeat a value");
                break;
        }
    }

    /// <summary>The parameter called <paramref name="name"/>, or null.</summary>
    public SearchParameter? Find(string name) => Parameters.FirstOrDefault(p => p.Name == name);

    /// <summary>Whether <paramref name="p"/> takes a value given the values drawn before it.</summary>
    public static bool IsActive(SearchParameter p, IReadOnlyDictionary<string, object> drawn) =>
        p.When is not { } c || (drawn.TryGetValue(c.Parent, out var v) && c.Values.Contains(v as string ?? SearchParameter.Format(v)));

    /// <summary>The space as the JSON a space file holds (stored with a study, so a resumed study can check it searches the same space).</summary>
    public string ToJson()
    {
        var root = new JsonObject();
        foreach (var p in Parameters)
        {
            var o = p switch
            {
                FloatParameter f => new JsonObject { ["type"] = "float", ["low"] = f.Low, ["high"] = f.High, ["log"] = f.Log },
                IntParameter i => new JsonObject { ["type"] = "int", ["low"] = i.Low, ["high"] = i.High, ["log"] = i.Log },
                CategoricalParameter c => new JsonObject { ["type"] = "categorical", ["choices"] = new JsonArray(c.Choices.Select(x => (JsonNode)x!).ToArray()) },
                _ => throw new NotSupportedException(p.GetType().Name),
            };
            if (p.When is { } w) o["when"] = new JsonObject { [w.Parent] = new JsonArray(w.Values.Select(x => (JsonNode)x!).ToArray()) };
            root[p.Name] = o;
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
