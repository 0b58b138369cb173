using OnnxKit.IR;

namespace OnnxKit.Interop.Graphs;

/// <summary>Value names of one graph level: every name in use, renaming a value everywhere, a fresh name.</summary>
internal static class GraphNames
{
    public static HashSet<string> All(Graph g)
    {
        var names = new HashSet<string>(g.Inputs.Select(i => i.Name).Concat(g.Outputs.Select(o => o.Name)).Concat(g.ValueInfo.Select(v => v.Name))
            .Concat(g.Initializers.Select(i => i.Name)));
        foreach (var n in g.Nodes) { names.UnionWith(n.Inputs); names.UnionWith(n.Outputs); if (n.Name.Length > 0) names.Add(n.Name); }
        return names;
    }

    public static void RenameInNodes(Graph g, string from, string to)
    {
        foreach (var n in g.Nodes)
        {
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == from) n.Inputs[i] = to;
            for (int i = 0; i < n.Outputs.Count; i++) if (n.Outputs[i] == from) n.Outputs[i] = to;
        }
    }

    // Renames a value everywhere at this graph level (callers' graphs have no subgraphs reading outer names).
    public static void Rename(Graph g, string from, string to)
    {
        RenameInNodes(g, from, to);
        foreach (var v in g.Inputs.Concat(g.Outputs).Concat(g.ValueInfo)) if (v.Name == from) v.Name = to;
        foreach (var i in g.Initializers.Where(i => i.Name == from)) i.Name = to;
    }

    /// <summary><paramref name="stem"/>, or <c>stem_2</c>, <c>stem_3</c> … — the first name not in <paramref name="taken"/>.</summary>
    public static string Fresh(HashSet<string> taken, string stem)
    {
        string name = stem;
        for (int k = 2; taken.Contains(name); k++) name = $"{stem}_{k}";
        return name;
    }
}
