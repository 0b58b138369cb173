using OnnxKit.IR;

namespace OnnxKit.Training.Autodiff;

/// <summary>
/// A gradient that cannot be built: a loss that is not a scalar, a parameter that does not exist or cannot be trained,
/// or an operator without a gradient rule. The message names the value or node at fault and what was expected.
/// </summary>
public sealed class GradientException : OnnxModelException
{
    /// <summary>Creates the exception.</summary>
    public GradientException(string message, Exception? inner = null) : base(message, inner) { }
}
