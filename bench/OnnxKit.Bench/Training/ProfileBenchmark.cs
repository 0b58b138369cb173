using OnnxKit.Bench.Shared;

namespace OnnxKit.Bench.Training;

/// <summary>Prints the per-node summary of an ONNX Runtime profile written by <c>train --profile DIR</c>.</summary>
public sealed class ProfileBenchmark : IBenchmark
{
    public string Name => "profile";
    public string Description => "per-node times of an ORT profile JSON: --file PATH [--skip RUNS] [--top N]";

    public int Run(string[] argv)
    {
        var a = new BenchArgs(argv);
        string file = a.Str("file", "");
        int skip = a.Int("skip", 5), top = a.Int("top", 30);
        a.CheckAllRead();
        if (!File.Exists(file)) { Console.Error.WriteLine($"no profile file '{file}' (give --file PATH)"); return 2; }
        ProfileSummary.Print(file, Console.Out, skip, top);
        return 0;
    }
}
