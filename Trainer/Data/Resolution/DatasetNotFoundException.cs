namespace OnnxKit.Training.Data;

/// <summary>No place held a dataset and it could not be downloaded; the message lists every place tried and why it failed.</summary>
public sealed class DatasetNotFoundException : FileNotFoundException
{
    /// <summary>Creates the exception.</summary>
    public DatasetNotFoundException(string message, Exception? inner = null) : base(message, inner) { }
}
