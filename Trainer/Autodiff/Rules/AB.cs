namespace OnnxKit.Training.Autodiff.Rules;

// TEMPORARY measurement switches (issue 7), removed before merge.
internal static class AB
{
    private static readonly HashSet<string> Flags = (Environment.GetEnvironmentVariable("ONNXKIT_AB") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    public static bool On(string f) => Flags.Contains(f);
}
