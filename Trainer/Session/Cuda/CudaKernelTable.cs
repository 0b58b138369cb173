using System.Reflection;

namespace OnnxKit.Training.Session.Cuda;

/// <summary>One CUDA kernel registration: an operator of a domain over an opset range, for some element types.</summary>
/// <param name="Domain">Operator domain (<c>ai.onnx</c> for the standard one).</param>
/// <param name="OpType">Operator name.</param>
/// <param name="Since">First opset the kernel serves.</param>
/// <param name="Until">Last opset it serves (<see cref="int.MaxValue"/>: open).</param>
/// <param name="TypedBy">Which value's element type selects the kernel: <c>i0</c>, <c>i1</c>, <c>i2</c>, <c>o0</c>, or <c>*</c> (any).</param>
/// <param name="Types">The element types (ONNX names) the kernel is registered for; empty when <paramref name="TypedBy"/> is <c>*</c>.</param>
public sealed record CudaKernel(string Domain, string OpType, int Since, int Until, string TypedBy, IReadOnlySet<string> Types);

/// <summary>
/// The CUDA kernels of the ONNX Runtime release OnnxKit builds against, read from the table shipped in this assembly
/// (<c>ort-1.31-cuda-kernels.txt</c>, transcribed from ONNX Runtime's published <c>docs/OperatorKernels.md</c>; its
/// header names the exact source). ONNX Runtime places a node that no CUDA kernel covers on the CPU without a word,
/// with copies across the bus around it; this table lets OnnxKit say so before a run.
/// </summary>
public static class CudaKernelTable
{
    /// <summary>The ONNX Runtime release the table describes.</summary>
    public const string RuntimeVersion = "1.31";

    private static readonly Lazy<ILookup<(string Domain, string Op), CudaKernel>> Kernels = new(Load);

    /// <summary>Every kernel of the table.</summary>
    public static IEnumerable<CudaKernel> All => Kernels.Value.SelectMany(g => g);

    /// <summary>The kernels registered for an operator (any opset), empty when CUDA has none.</summary>
    public static IEnumerable<CudaKernel> For(string domain, string opType) => Kernels.Value[(NormalizeDomain(domain), opType)];

    /// <summary>The standard domain's canonical name: ONNX writes it as "" or "ai.onnx".</summary>
    public static string NormalizeDomain(string domain) => domain.Length == 0 ? "ai.onnx" : domain;

    private static ILookup<(string, string), CudaKernel> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("OnnxKit.Training.Session.Cuda.kernels.txt")
            ?? throw new InvalidOperationException("the CUDA kernel table is missing from OnnxKit.Trainer (embedded resource)");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd()).ToLookup(k => (k.Domain, k.OpType));
    }

    /// <summary>Parses the table format (documented in the file's header); throws naming the line at fault.</summary>
    internal static List<CudaKernel> Parse(string text)
    {
        var sets = new Dictionary<string, string[]>();
        var kernels = new List<CudaKernel>();
        string? domain = null;
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string Where() => $"CUDA kernel table line {n + 1} ('{line}')";
            if (line[0] == '[') { domain = line.Trim('[', ']'); continue; }
            if (line[0] == '@') { sets[words[0]] = Expand(words.Skip(1), sets, Where); continue; }
            if (domain is null || words.Length < 4) throw new FormatException($"{Where()}: expected 'Op since until by types...' inside a [domain] section");
            if (!int.TryParse(words[1], out int since)) throw new FormatException($"{Where()}: since '{words[1]}' is not a number");
            int until = words[2] == "*" ? int.MaxValue : int.TryParse(words[2], out int u) ? u : throw new FormatException($"{Where()}: until '{words[2]}' is not a number or '*'");
            string by = words[3];
            if (by is not ("i0" or "i1" or "i2" or "o0" or "*")) throw new FormatException($"{Where()}: 'by' must be i0, i1, i2, o0 or *, got '{by}'");
            var types = Expand(words.Skip(4), sets, Where);
            if (by != "*" && types.Length == 0) throw new FormatException($"{Where()}: a typed kernel needs at least one type");
            kernels.Add(new CudaKernel(domain, words[0], since, until, by, types.ToHashSet()));
        }
        return kernels;
    }

    private static string[] Expand(IEnumerable<string> words, Dictionary<string, string[]> sets, Func<string> where) =>
        words.SelectMany(w => w[0] != '@' ? [w] : sets.TryGetValue(w, out var s) ? s : throw new FormatException($"{where()}: unknown type set '{w}'")).ToArray();
}
