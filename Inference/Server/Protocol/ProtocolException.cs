namespace OnnxKit.Server;

/// <summary>A request the server refuses, with the HTTP status to answer and a message naming the problem.</summary>
public sealed class ProtocolException(int status, string message) : Exception(message)
{
    /// <summary>HTTP status code (4xx/5xx).</summary>
    public int Status { get; } = status;
}
