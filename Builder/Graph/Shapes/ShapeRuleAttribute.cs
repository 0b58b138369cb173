namespace OnnxKit;

/// <summary>Marks a static method <c>TensorType?[] Rule(ShapeContext c)</c> as the shape rule of one or more operators.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class ShapeRuleAttribute(params string[] opTypes) : Attribute
{
    /// <summary>The operators (standard domain) whose output types this rule infers.</summary>
    public string[] OpTypes { get; } = opTypes;
}
