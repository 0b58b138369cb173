namespace OnnxKit.Training.Autodiff;

/// <summary>Marks a static method <c>void Rule(GradScope g)</c> as the gradient rule of one or more operators.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class GradientAttribute(params string[] opTypes) : Attribute
{
    /// <summary>The operators (standard domain) this rule differentiates.</summary>
    public string[] OpTypes { get; } = opTypes;
}
