using System.Reflection;

namespace OnnxKit;

/// <summary>
/// The one registration idiom of per-operator rules (shape rules here, gradient rules in the Trainer): a rule is a
/// static method of a static class, marked with an attribute that names its operators. Collecting them needs no list
/// of families and no namespace convention; an operator claimed by two rules is a bug reported at load.
/// </summary>
internal static class OpRuleTable
{
    public static Dictionary<string, TRule> Collect<TAttribute, TRule>(Assembly assembly, Func<TAttribute, string[]> opTypes, string what)
        where TAttribute : Attribute where TRule : Delegate
    {
        var rules = new Dictionary<string, TRule>(StringComparer.Ordinal);
        foreach (var t in assembly.GetTypes())
        {
            if (!(t.IsAbstract && t.IsSealed)) continue;
            foreach (var m in t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (m.GetCustomAttribute<TAttribute>() is not { } attr) continue;
                var rule = m.CreateDelegate<TRule>();
                foreach (var op in opTypes(attr))
                    if (!rules.TryAdd(op, rule)) throw new InvalidOperationException($"two {what} rules for '{op}' ({t.Name}.{m.Name})");
            }
        }
        return rules;
    }
}
