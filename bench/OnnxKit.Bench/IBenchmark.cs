namespace OnnxKit.Bench;

/// <summary>One named benchmark suite, run by <c>dotnet run --project bench/OnnxKit.Bench -c Release -- NAME [args]</c>.</summary>
public interface IBenchmark
{
    /// <summary>The name typed on the command line.</summary>
    string Name { get; }

    /// <summary>One line saying what the suite measures.</summary>
    string Description { get; }

    /// <summary>Runs the suite; prints a table and returns the process exit code.</summary>
    int Run(string[] args);
}
