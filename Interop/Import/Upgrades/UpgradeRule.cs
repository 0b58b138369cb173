namespace OnnxKit.Interop.Import.Upgrades;

/// <summary>Rewrites the context's node (in place, emitting helper nodes before it) into its form at the target opset.</summary>
internal delegate void UpgradeRule(UpgradeContext c);

/// <summary>
/// Marks an upgrade rule: it applies to the named operators of the standard domain when the model's opset is below
/// <see cref="ChangedAt"/>, the version whose signature or semantics the rule moves the node to.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class UpgradeAttribute(int changedAt, params string[] opTypes) : Attribute
{
    /// <summary>The opset in which the operator took the form the rule produces.</summary>
    public int ChangedAt { get; } = changedAt;
    /// <summary>Operators the rule handles.</summary>
    public string[] OpTypes { get; } = opTypes;
}
