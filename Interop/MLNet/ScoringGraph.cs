using System.Globalization;
using System.Text.Json;
using OnnxKit.Inference;
using OnnxKit.Interop.Graphs;
using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit.Interop.MLNet;

/// <summary>
/// Rewrites an OnnxKit model into the form ML.NET's <c>OnnxTransformer</c> scores directly: its one input renamed to
/// the feature column (with the <c>normalization</c> metadata applied in-graph), and outputs named after the columns
/// ML.NET's evaluators expect. ML.NET feeds one row at a time (batch 1), so per-row outputs are declared with the
/// batch axis removed; a rank-0 output becomes a scalar column, which is what a <c>Score</c>, <c>Probability</c> or
/// label column must be. The original nodes and weights are untouched, so the scores equal the model's own.
/// </summary>
internal static class ScoringGraph
{
    /// <summary>
    /// The per-row vector [score or class index, probability, predicted (0/1)] every rewritten model outputs:
    /// ML.NET's ONNX scorer cannot produce scalar columns, so <see cref="ScoreRowMapping"/> splits this into them.
    /// </summary>
    public const string RowColumn = ScoreRowMapping.RowColumn;

    /// <summary>The rewritten model and what it says about the pipeline.</summary>
    /// <param name="Model">The model ML.NET runs.</param>
    /// <param name="SampleShape">Shape of one sample (the model input without its batch axis).</param>
    /// <param name="Outputs">Values per sample of the model's output (classes for a classifier).</param>
    /// <param name="Labels">Class labels (the <c>labels</c> metadata, else "0".."K-1"); empty for regression.</param>
    /// <param name="OutputColumns">The columns the model itself produces, in order.</param>
    internal sealed record Result(OnnxModel Model, int[] SampleShape, int Outputs, string[] Labels, string[] OutputColumns)
    {
        /// <summary>Values per sample of the input.</summary>
        public int InputSize => SampleShape.Aggregate(1, (a, b) => a * b);
    }

    public static Result Build(OnnxModel source, ScoringColumns columns, string what)
    {
        var model = OnnxModel.FromBytes(source.ToBytes(), what);
        var g = model.Graph;
        var initializerNames = g.Initializers.Select(i => i.Name).ToHashSet();
        var inputs = g.Inputs.Where(i => !initializerNames.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new ArgumentException($"{what}: ML.NET scoring needs a model with exactly one input, it has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))})");
        if (g.Outputs.Count == 0) throw new ArgumentException($"{what}: the model has no outputs");
        var input = inputs[0];
        var inType = TensorType.FromProto(input.Type);
        if (inType is null || inType.ElementType != ElementType.Float32 || inType.Shape is null || inType.Shape.Rank < 2 || !inType.Shape.Skip(1).All(d => d.IsKnown))
            throw new ArgumentException($"{what}: input '{input.Name}' must be float32 [batch, ...] with every dimension after the batch known, it is {inType?.ToString() ?? "not a tensor"}");
        int[] sampleShape = inType.Shape.Skip(1).Select(d => checked((int)d.Value!.Value)).ToArray();
        var outType = TensorType.FromProto(g.Outputs[0].Type);
        if (outType is null || outType.ElementType != ElementType.Float32 || outType.Shape is null || outType.Shape.Rank is < 1 or > 2
            || (outType.Shape.Rank == 2 && !outType.Shape[1].IsKnown))
            throw new ArgumentException($"{what}: output '{g.Outputs[0].Name}' must be float32 [batch, K] with K known, it is {outType?.ToString() ?? "not a tensor"}");
        int outputs = outType.Shape.Rank == 2 ? checked((int)outType.Shape[1].Value!.Value) : 1;

        var used = AllNames(g);
        string Fresh(string stem)
        {
            string n = stem;
            for (int k = 1; used.Contains(n); k++) n = $"{stem}_{k}";
            used.Add(n);
            return n;
        }
        // The column names become graph value names: move any model value already called so out of the way.
        var wanted = new List<string> { columns.FeatureColumnName, columns.ScoreColumnName, RowColumn };
        if (columns.Task != ScoringTask.Regression) wanted.Add(columns.PredictedLabelColumnName);
        if (columns.Task == ScoringTask.Binary) wanted.Add(columns.ProbabilityColumnName);
        if (wanted.Distinct().Count() != wanted.Count) throw new ArgumentException($"{what}: the column names must differ, got {string.Join(", ", wanted)}");
        foreach (var name in wanted)
            if (used.Contains(name) && name != input.Name) Rename(g, name, Fresh(name + ".model"));
        foreach (var name in wanted) used.Add(name);

        // ---- input: the feature column, normalised as in training when the metadata says so ----
        var (mean, std) = Normalization(model, what);
        string x = input.Name;
        if (mean is not null && std is not null)
        {
            int channels = sampleShape[0];
            if (mean.Length != 1 && mean.Length != channels || std.Length != mean.Length)
                throw new ArgumentException($"{what}: metadata '{ModelInfo.NormalizationKey}' has {mean.Length} means and {std.Length} stds; expected 1 or {channels} (the channels of input '{x}') of each");
            string consumed = x;
            if (columns.FeatureColumnName == x) { consumed = Fresh(x + ".normalized"); RenameInNodes(g, x, consumed); }
            // Per-channel constants shaped [C, 1, ...] broadcast over the sample's remaining axes.
            long[] dims = [mean.Length, .. Enumerable.Repeat(1L, mean.Length == 1 ? 0 : sampleShape.Length - 1)];
            string meanName = Fresh("mlnet.normalization.mean"), stdName = Fresh("mlnet.normalization.std"), centred = Fresh("mlnet.centred");
            g.Initializers.Add(new Initializer(TensorData.FromFloats(meanName, mean, dims)));
            g.Initializers.Add(new Initializer(TensorData.FromFloats(stdName, std, dims)));
            g.Nodes.InsertRange(0, [
                new Node("Sub", [columns.FeatureColumnName, meanName], [centred], Fresh("mlnet.normalize.sub")),
                new Node("Div", [centred, stdName], [consumed], Fresh("mlnet.normalize.div")),
            ]);
            input.Name = columns.FeatureColumnName;
        }
        else if (columns.FeatureColumnName != x) Rename(g, x, columns.FeatureColumnName);

        // ---- outputs: one row's columns ----
        string y = g.Outputs[0].Name;
        g.Outputs.Clear();
        var add = new List<Node>();
        string Node1(string op, string[] ins, string stem, params AttributeProto[] attrs)
        {
            string o = Fresh(stem);
            add.Add(new Node(op, ins, [o], Fresh("mlnet." + op), attributes: attrs));
            return o;
        }
        string Const(string stem, long[] values, params long[] dims)
        {
            string n = Fresh(stem);
            g.Initializers.Add(new Initializer(TensorData.FromInt64s(n, values, dims)));
            return n;
        }
        void Output(string value, string column, ElementType type, Shape shape)
        {
            add.Add(new Node("Identity", [value], [column], Fresh("mlnet.output." + column)));
            g.Outputs.Add(new ValueInfoProto { Name = column, Type = new TensorType(type, shape).ToProto() });
        }
        string? zeroName = null;
        string Zero()
        {
            if (zeroName is null) g.Initializers.Add(new Initializer(TensorData.FromFloats(zeroName = Fresh("mlnet.zero"), [0f], 1)));
            return zeroName;
        }
        string Row(string a, string b, string c)
        {
            Output(Node1("Concat", [a, b, c], "mlnet.row", Attr.Int("axis", 0)), RowColumn, ElementType.Float32, Shape.Of(3));
            return RowColumn;
        }
        string[] labels = [];
        var outColumns = new List<string>();
        switch (columns.Task)
        {
            case ScoringTask.Multiclass:
            {
                if (outType.Shape.Rank != 2 || outputs < 2) throw new ArgumentException($"{what}: multiclass scoring needs an output [batch, K] with K ≥ 2, output '{y}' is {outType}");
                labels = Labels(model, outputs, what);
                string scores = columns.SoftmaxScore ? Node1("Softmax", [y], "mlnet.softmax", Attr.Int("axis", -1)) : y;
                Output(Node1("Reshape", [scores, Const("mlnet.row_shape", [outputs], 1)], "mlnet.scores"), columns.ScoreColumnName, ElementType.Float32, Shape.Of(outputs));
                string argmax = Node1("ArgMax", [y], "mlnet.argmax", Attr.Int("axis", 1), Attr.Int("keepdims", 0));
                string index = Node1("Cast", [argmax], "mlnet.index", Attr.Int("to", (int)ElementType.Float32));
                outColumns.AddRange([columns.ScoreColumnName, Row(index, Zero(), Zero())]);
                break;
            }
            case ScoringTask.Binary:
            {
                if (outType.Shape.Rank != 2 || outputs != 2) throw new ArgumentException($"{what}: binary scoring needs an output [batch, 2], output '{y}' is {outType}");
                labels = Labels(model, outputs, what);
                string Column(long k) => Node1("Gather", [y, Const("mlnet.class", [k])], "mlnet.class_value", Attr.Int("axis", 1));
                string c0 = Column(0), c1 = Column(1);
                string margin = columns.OutputsAreLogits
                    ? Node1("Sub", [c1, c0], "mlnet.margin")
                    : Node1("Sub", [Node1("Log", [c1], "mlnet.log"), Node1("Log", [c0], "mlnet.log")], "mlnet.margin");
                string probability = columns.OutputsAreLogits ? Node1("Sigmoid", [margin], "mlnet.probability") : c1;
                string half = Fresh("mlnet.half");
                g.Initializers.Add(new Initializer(TensorData.FromFloats(half, [0.5f])));
                string predicted = Node1("Cast", [Node1("Greater", [probability, half], "mlnet.greater")], "mlnet.predicted", Attr.Int("to", (int)ElementType.Float32));
                outColumns.Add(Row(margin, probability, predicted));
                break;
            }
            default:
                if (outputs != 1) throw new ArgumentException($"{what}: regression scoring needs one output value per sample, output '{y}' is {outType}");
                outColumns.Add(Row(Node1("Reshape", [y, Const("mlnet.flat", [-1], 1)], "mlnet.score"), Zero(), Zero()));
                break;
        }
        g.Nodes.AddRange(add);
        g.Validate();
        return new Result(model, sampleShape, outputs, labels, [.. outColumns]);
    }

    private static string[] Labels(OnnxModel model, int classes, string what)
    {
        if (!model.Metadata.TryGetValue(ModelInfo.LabelsKey, out var json))
            return Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        string[]? labels;
        try { labels = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new ArgumentException($"{what}: metadata '{ModelInfo.LabelsKey}' must be a JSON array of strings: {e.Message}"); }
        if (labels is null || labels.Length != classes)
            throw new ArgumentException($"{what}: metadata '{ModelInfo.LabelsKey}' has {labels?.Length ?? 0} labels, the model outputs {classes} classes");
        if (labels.Distinct().Count() != labels.Length) throw new ArgumentException($"{what}: metadata '{ModelInfo.LabelsKey}' repeats a label");
        return labels;
    }

    private static (float[]? Mean, float[]? Std) Normalization(OnnxModel model, string what)
    {
        if (!model.Metadata.TryGetValue(ModelInfo.NormalizationKey, out var json)) return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(json);
            float[] Read(string key) => doc.RootElement.GetProperty(key) is var e && e.ValueKind == JsonValueKind.Number
                ? [e.GetSingle()] : doc.RootElement.GetProperty(key).EnumerateArray().Select(v => v.GetSingle()).ToArray();
            return (Read("mean"), Read("std"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new ArgumentException($"{what}: metadata '{ModelInfo.NormalizationKey}' must be JSON {{\"mean\": [..], \"std\": [..]}}: {e.Message}");
        }
    }

    private static HashSet<string> AllNames(Graph g) => GraphNames.All(g);
    private static void RenameInNodes(Graph g, string from, string to) => GraphNames.RenameInNodes(g, from, to);
    private static void Rename(Graph g, string from, string to) => GraphNames.Rename(g, from, to);
}
