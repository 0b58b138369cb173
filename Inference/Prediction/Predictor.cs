using Microsoft.ML.OnnxRuntime;

namespace OnnxKit.Inference;

/// <summary>
/// Runs one ONNX model on an ONNX Runtime <see cref="InferenceSession"/>. Inputs are validated against the
/// model's declared names, types and shapes first (<see cref="ArgumentException"/> naming the input); host
/// arrays are pinned and fed without a copy. Thread-safe: concurrent <see cref="Predict(IReadOnlyDictionary{string, TensorValue})"/>
/// calls share the session.
/// </summary>
public sealed class Predictor : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _outputNames;
    private int _disposed;

    private Predictor(InferenceSession session, OnnxHeader header, string name)
    {
        _session = session;
        Name = name;
        Info = ModelInfo.From(session, header, $"model '{name}'");
        _outputNames = Info.Outputs.Select(o => o.Name).ToArray();
    }

    /// <summary>The model's name in messages.</summary>
    public string Name { get; }

    /// <summary>Metadata: opset, producer, inputs, outputs, labels …</summary>
    public ModelInfo Info { get; }

    /// <summary>The underlying session, for advanced use (IO binding).</summary>
    public InferenceSession Session => _session;

    /// <summary>Loads a model file (external data beside it is found by ONNX Runtime).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelLoadException">The file is not a model ONNX Runtime can load and run (the message says why).</exception>
    public static Predictor Load(string path, PredictorOptions? options = null)
    {
        options ??= new();
        string name = options.Name ?? Path.GetFileNameWithoutExtension(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model '{name}': file '{path}' does not exist", path);
        OnnxHeader header;
        try { using var fs = File.OpenRead(path); header = OnnxHeader.Read(fs); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new ModelLoadException($"model '{name}': '{path}' is not a valid ONNX model: {e.Message}", e);
        }
        return Create(name, options, o => new InferenceSession(path, o), header, path);
    }

    /// <summary>Loads a serialised model from memory.</summary>
    /// <exception cref="ModelLoadException">The bytes are not a model ONNX Runtime can load and run (the message says why).</exception>
    public static Predictor FromBytes(byte[] model, PredictorOptions? options = null)
    {
        options ??= new();
        string name = options.Name ?? "model";
        OnnxHeader header;
        try { header = OnnxHeader.Read(new MemoryStream(model, writable: false)); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new ModelLoadException($"model '{name}': the bytes are not a valid ONNX model: {e.Message}", e);
        }
        return Create(name, options, o => new InferenceSession(model, o), header, "model bytes");
    }

    private static Predictor Create(string name, PredictorOptions options, Func<SessionOptions, InferenceSession> open, OnnxHeader header, string source)
    {
        using var so = options.ToSessionOptions($"model '{name}'");
        InferenceSession session;
        try { session = open(so); }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"model '{name}': ONNX Runtime could not load {source}: {e.Message}", e);
        }
        try
        {
            var p = new Predictor(session, header, name);
            if (options.WarmUp) p.WarmUp();
            return p;
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidDataException or ArgumentException or NotSupportedException or OverflowException)
        {
            session.Dispose();
            // InvalidDataException: the metadata check, whose message already names the model and key.
            throw e is InvalidDataException ? new ModelLoadException(e.Message, e)
                : new ModelLoadException($"model '{name}': ONNX Runtime loaded {source}, but its warm-up run failed: {e.Message}", e);
        }
        catch { session.Dispose(); throw; }
    }

    /// <summary>Checks <paramref name="inputs"/> against the model without running it.</summary>
    public void Validate(IReadOnlyDictionary<string, TensorValue> inputs) => InputValidator.Validate(Name, Info, inputs);

    /// <summary>Runs the model with the single input it declares.</summary>
    public Prediction Predict(TensorValue input)
    {
        if (Info.Inputs.Count != 1)
            throw new ArgumentException($"model '{Name}' has {Info.Inputs.Count} inputs ({string.Join(", ", Info.Inputs)}); pass them by name");
        return Predict(new Dictionary<string, TensorValue> { [Info.Inputs[0].Name] = input });
    }

    /// <summary>Runs the model on one set of named inputs and returns every output.</summary>
    public Prediction Predict(IReadOnlyDictionary<string, TensorValue> inputs)
    {
        Validate(inputs);
        return Run(inputs);
    }

    /// <summary>
    /// Runs several requests. When every input has a dynamic first (batch) dimension and the requests agree on
    /// the other dimensions, they are concatenated along the first axis, run once and the outputs split back
    /// row by row; otherwise each runs on its own. Each result equals what <see cref="Predict(IReadOnlyDictionary{string, TensorValue})"/> gives.
    /// </summary>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> requests)
    {
        foreach (var r in requests) Validate(r);
        return RunBatch(requests);
    }

    /// <summary>Runs one already validated request.</summary>
    internal Prediction RunValidated(IReadOnlyDictionary<string, TensorValue> inputs) => Run(inputs);

    /// <summary>Runs already validated requests as one merged batch when possible.</summary>
    internal IReadOnlyList<Prediction> RunBatch(IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> requests)
    {
        if (requests.Count == 1) return [Run(requests[0])];
        if (BatchMerge.TryMerge(Info, requests, out var merged, out var rows))
        {
            Prediction whole;
            using (merged) whole = Run(merged.Inputs);
            if (BatchMerge.TrySplit(whole, rows, out var parts)) return parts;
        }
        return requests.Select(Run).ToArray();
    }

    /// <summary>Inputs larger than this many elements are not warmed up: a zero buffer that large costs more than the first request would.</summary>
    public const long WarmUpElementLimit = 1 << 24;

    /// <summary>
    /// Runs the model once on zeros (symbolic dimensions taken as 1). Skipped where an input is of a type the host
    /// cannot fill or larger than <see cref="WarmUpElementLimit"/> elements.
    /// </summary>
    public void WarmUp()
    {
        var inputs = new Dictionary<string, TensorValue>();
        foreach (var i in Info.Inputs)
        {
            if (!ElementTypes.IsSupported(i.ElementType)) return;
            var shape = i.Dimensions.Select(d => d < 0 ? 1L : d).ToArray();
            long count = 1;
            foreach (long d in shape) { if (d > WarmUpElementLimit || (count *= d) > WarmUpElementLimit) return; }
            inputs[i.Name] = TensorValue.FromArray(Array.CreateInstance(ElementTypes.ClrType(i.ElementType), count), shape);
        }
        Run(inputs);
    }

    private Prediction Run(IReadOnlyDictionary<string, TensorValue> inputs)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        int n = Info.Inputs.Count;
        var names = new string[n];
        var values = new OrtValue[n];
        var owned = new bool[n];
        try
        {
            for (int i = 0; i < n; i++)
            {
                names[i] = Info.Inputs[i].Name;
                values[i] = inputs[names[i]].ToOrtValue(out owned[i]);
            }
            using var outs = _session.Run(_runOptions, names, values, _outputNames);
            var result = new TensorValue[_outputNames.Length];
            int k = 0;
            foreach (var o in outs) result[k++] = TensorValue.FromOrtValueCopy(o);
            return new Prediction(_outputNames, result);
        }
        finally
        {
            for (int i = 0; i < n; i++) if (owned[i]) values[i]?.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _session.Dispose();
        _runOptions.Dispose();
    }
}
