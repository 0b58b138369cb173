namespace OnnxKit;

/// <summary>
/// A graph cannot be built as asked: shapes or types that cannot match, an unknown operator, a duplicate or
/// missing value. The message names the node and values at fault and what was expected.
/// </summary>
public sealed class GraphBuildException : IR.OnnxModelException
{
    /// <summary>Creates the exception.</summary>
    public GraphBuildException(string message, Exception? inner = null) : base(message, inner) { }
}
