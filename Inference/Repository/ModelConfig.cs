using System.Text.Json;

namespace OnnxKit.Inference;

/// <summary>Which versions of a model the repository serves.</summary>
public enum VersionPolicyKind
{
    /// <summary>The highest <see cref="VersionPolicy.Count"/> version numbers present.</summary>
    Latest,
    /// <summary>Every version present.</summary>
    All,
    /// <summary>Only the listed versions.</summary>
    Specific,
}

/// <summary>A version policy: latest N, all, or specific versions.</summary>
/// <param name="Kind">The policy.</param>
/// <param name="Count">How many of the latest versions (for <see cref="VersionPolicyKind.Latest"/>).</param>
/// <param name="Versions">The versions served (for <see cref="VersionPolicyKind.Specific"/>).</param>
public sealed record VersionPolicy(VersionPolicyKind Kind, int Count = 1, long[]? Versions = null)
{
    /// <summary>Serve only the newest version.</summary>
    public static VersionPolicy Latest1 { get; } = new(VersionPolicyKind.Latest);

    /// <summary>The versions to serve out of those present.</summary>
    public IEnumerable<long> Select(IEnumerable<long> present) => Kind switch
    {
        VersionPolicyKind.All => present,
        VersionPolicyKind.Specific => present.Where(v => Versions!.Contains(v)),
        _ => present.OrderByDescending(v => v).Take(Count),
    };
}

/// <summary>
/// The optional <c>config.json</c> beside a model's version folders. All fields are optional:
/// <code>
/// {
///   "max_batch_size": 64,          // merge queued requests up to this many rows (0 or 1: no dynamic batching)
///   "batch_window_ms": 0,          // how long a batch waits for more requests (0: greedy)
///   "labels": ["cat", "dog"],      // class names (override the model's "labels" metadata)
///   "version_policy": "latest" | "all" | {"latest": {"num_versions": 2}} | {"specific": {"versions": [1, 3]}},
///   "execution_provider": "cpu" | "cuda",
///   "intra_op_threads": 0,
///   "allow_nan": false,            // accept NaN/Infinity in floating-point inputs
///   "instance_count": 2,           // sessions run at once, each its own ONNX Runtime session (0: one shared session)
///   "warmup": [{"batch_size": 8, "count": 2, "data": "zeros" | "random"}]   // runs before the version is ready
/// }
/// </code>
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The file name looked for in a model folder.</summary>
    public const string FileName = "config.json";

    /// <summary>Most rows in one merged run; 0 or 1 disables dynamic batching.</summary>
    public int MaxBatchSize { get; init; }
    /// <summary>
    /// How long a batch waits for company after its first request. Default 0 (greedy, like Triton's default
    /// max_queue_delay): each run takes whatever queued while the previous one ran, so batches grow with load and
    /// never wait idle; a fixed window cost a single client most of its throughput and did not help many clients
    /// (bench/RESULTS.md, "Serving (issue 8)").
    /// </summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.Zero;
    /// <summary>Class labels, or null to use the model's metadata.</summary>
    public string[]? Labels { get; init; }
    /// <summary>Which of the model's numbered version folders are loaded and served (default: the newest one).</summary>
    public VersionPolicy VersionPolicy { get; init; } = VersionPolicy.Latest1;
    /// <summary>Where ONNX Runtime runs the model (default: CPU).</summary>
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Cpu;
    /// <summary>Intra-op threads (0: ONNX Runtime's default).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>Whether ONNX Runtime's threads spin while idle (off by default: concurrent requests need the cores).</summary>
    public bool AllowSpinning { get; init; }
    /// <summary>Whether NaN/Infinity are accepted in floating-point inputs.</summary>
    public bool AllowNan { get; init; }

    /// <summary>
    /// Model instances, each its own ONNX Runtime session, of which each runs one request (or merged batch) at a time,
    /// as Triton's <c>instance_group.count</c>. 0 (the default): one session shared by every request, unbounded.
    /// </summary>
    public int InstanceCount { get; init; }
    /// <summary>Warm-up requests run on every instance before the version is marked ready; a failing one marks it unavailable.</summary>
    public IReadOnlyList<WarmUpRequest> WarmUp { get; init; } = [];

    /// <summary>Reads <paramref name="path"/>; a missing file gives the defaults. Errors name the file and the field.</summary>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) return new ModelConfig();
        try { return Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the JSON text of a config file.</summary>
    public static ModelConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the config must be a JSON object");
        var c = new ModelConfig();
        foreach (var p in root.EnumerateObject())
        {
            try { c = Apply(c, p); }
            catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
            {
                throw new InvalidDataException($"field '{p.Name}' has the wrong form ({p.Value.GetRawText()}): {e.Message}", e);
            }
        }
        return c;
    }

    private static ModelConfig Apply(ModelConfig c, JsonProperty p) => p.Name switch
            {
                "max_batch_size" => c with { MaxBatchSize = NonNegative(p) },
                "batch_window_ms" => c with { BatchWindow = TimeSpan.FromMilliseconds(p.Value.GetDouble() is var ms && ms >= 0 ? ms : throw new InvalidDataException("'batch_window_ms' must be ≥ 0")) },
                "labels" => c with { Labels = p.Value.EnumerateArray().Select(l => l.GetString() ?? throw new InvalidDataException("'labels' must be strings")).ToArray() },
                "version_policy" => c with { VersionPolicy = ParsePolicy(p.Value) },
                "execution_provider" => c with { ExecutionProvider = p.Value.GetString()?.ToLowerInvariant() switch
                {
                    "cpu" => ExecutionProvider.Cpu,
                    "cuda" => ExecutionProvider.Cuda,
                    var s => throw new InvalidDataException($"'execution_provider' must be \"cpu\" or \"cuda\", got \"{s}\""),
                } },
                "intra_op_threads" => c with { IntraOpThreads = NonNegative(p) },
                "allow_nan" => c with { AllowNan = p.Value.GetBoolean() },
                "allow_spinning" => c with { AllowSpinning = p.Value.GetBoolean() },
                "instance_count" => c with { InstanceCount = NonNegative(p) },
                "warmup" => c with { WarmUp = p.Value.EnumerateArray().Select(WarmUpRequest.Parse).ToArray() },
                _ => throw new InvalidDataException($"unknown field '{p.Name}'; known: max_batch_size, batch_window_ms, labels, version_policy, execution_provider, intra_op_threads, allow_spinning, allow_nan, instance_count, warmup"),
            };

    private static int NonNegative(JsonProperty p) =>
        p.Value.TryGetInt32(out var v) && v >= 0 ? v : throw new InvalidDataException($"'{p.Name}' must be a non-negative integer, got {p.Value.GetRawText()}");

    private static VersionPolicy ParsePolicy(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String)
            return e.GetString() switch
            {
                "latest" => VersionPolicy.Latest1,
                "all" => new VersionPolicy(VersionPolicyKind.All),
                var s => throw new InvalidDataException($"'version_policy' must be \"latest\", \"all\" or an object, got \"{s}\""),
            };
        if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty("all", out _)) return new VersionPolicy(VersionPolicyKind.All);
            if (e.TryGetProperty("latest", out var l))
                return new VersionPolicy(VersionPolicyKind.Latest, l.TryGetProperty("num_versions", out var n) ? Math.Max(1, n.GetInt32()) : 1);
            if (e.TryGetProperty("specific", out var s))
            {
                var list = s.ValueKind == JsonValueKind.Array ? s : s.GetProperty("versions");
                return new VersionPolicy(VersionPolicyKind.Specific, Versions: list.EnumerateArray().Select(v => v.GetInt64()).ToArray());
            }
        }
        throw new InvalidDataException($"'version_policy' must be \"latest\", \"all\", {{\"latest\": {{\"num_versions\": N}}}} or {{\"specific\": {{\"versions\": [..]}}}}, got {e.GetRawText()}");
    }
}
