using System.Numerics.Tensors;

namespace OnnxKit.Training.Session.Lowering.HostUpdate;

/// <summary>
/// The element-wise part of an optimizer graph (parameter, gradient and slots in; next parameter and slots out), run
/// over a range of elements in chunks that stay in the core's cache: every node is one vectorised pass over a chunk, so
/// the tensors are read and written once per step instead of once per node, and no operator is dispatched per node.
/// Each operation is the same IEEE float32 operation as ONNX Runtime's kernel for that node (no contraction into
/// fused multiply-adds, true division), so the results equal the optimizer graph's.
/// </summary>
internal sealed class ElementProgram
{
    /// <summary>Elements per chunk: a chunk's temporaries fit in the first-level caches.</summary>
    internal const int ChunkLength = 1024;

    /// <summary>An operand: a tensor register (inputs first, then temporaries) or a step scalar.</summary>
    internal readonly record struct Operand(bool IsScalar, int Index);

    /// <summary>One element-wise node: operator, operands, and the temporary it writes.</summary>
    internal readonly record struct Instruction(string Op, Operand[] Inputs, int Output);

    private readonly Instruction[] _instructions;
    private readonly int _inputs, _temporaries;
    private readonly int[] _outputOfTemporary;    // per temporary: the output it is, or −1 (lives in scratch)
    private readonly Operand[] _outputs;          // per output: where its value is (a temporary, an input or a scalar)
    private readonly ElementKernel.Loop? _loop;   // the same program compiled to one SIMD loop, where it can be

    internal ElementProgram(Instruction[] instructions, int inputs, int temporaries, Operand[] outputs, int scalarCount, bool compile = true)
    {
        _instructions = instructions; _inputs = inputs; _temporaries = temporaries; _outputs = outputs;
        _loop = compile ? ElementKernel.TryCompile(instructions, inputs, temporaries, outputs, scalarCount) : null;
        _outputOfTemporary = Enumerable.Repeat(-1, temporaries).ToArray();
        for (int o = 0; o < outputs.Length; o++)
            if (!outputs[o].IsScalar && outputs[o].Index >= inputs && _outputOfTemporary[outputs[o].Index - inputs] < 0)
                _outputOfTemporary[outputs[o].Index - inputs] = o;
    }

    /// <summary>Tensor inputs, in the order <see cref="Run"/> takes them.</summary>
    public int InputCount => _inputs;
    /// <summary>Tensor outputs, in the order <see cref="Run"/> takes them.</summary>
    public int OutputCount => _outputs.Length;
    /// <summary>Element-wise nodes.</summary>
    public int InstructionCount => _instructions.Length;
    /// <summary>True when <see cref="Run"/> uses the compiled SIMD loop (else it interprets chunk by chunk).</summary>
    public bool Compiled => _loop is not null;

    /// <summary>A scratch buffer for one thread's <see cref="Run"/>.</summary>
    public float[] NewScratch() => new float[Math.Max(1, _temporaries) * ChunkLength];

    /// <summary>
    /// Computes elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) of every output
    /// from the same elements of the inputs. Inputs and outputs are addresses of float32 tensors that hold at least that
    /// many elements; no output may overlap an input.
    /// </summary>
    public unsafe void Run(ReadOnlySpan<float> scalars, ReadOnlySpan<IntPtr> inputs, ReadOnlySpan<IntPtr> outputs, long start, int length, float[] scratch)
    {
        if (_loop is not null)
        {
            // The compiled loop takes whole vectors; the few elements after them go through the interpreter below.
            int vectors = length - length % ElementKernel.Width;
            fixed (float* s = scalars)
            fixed (IntPtr* i = inputs)
            fixed (IntPtr* o = outputs)
                _loop(s, i, o, start, start + vectors);
            start += vectors; length -= vectors;
        }
        for (int done = 0; done < length; done += ChunkLength)
        {
            int n = Math.Min(ChunkLength, length - done);
            long at = start + done;
            foreach (var ins in _instructions)
            {
                var dest = Destination(ins.Output, outputs, at, n, scratch);
                Apply(ins, scalars, inputs, outputs, at, n, scratch, dest);
            }
            // Outputs that no node computes here: an input passed through, or a scalar broadcast.
            for (int o = 0; o < _outputs.Length; o++)
            {
                var src = _outputs[o];
                if (!src.IsScalar && src.Index >= _inputs && _outputOfTemporary[src.Index - _inputs] == o) continue;
                var dest = new Span<float>((float*)outputs[o] + at, n);
                if (src.IsScalar) dest.Fill(scalars[src.Index]);
                else Read(src.Index, inputs, outputs, at, n, scratch).CopyTo(dest);
            }
        }
    }

    private unsafe Span<float> Destination(int register, ReadOnlySpan<IntPtr> outputs, long at, int n, float[] scratch)
    {
        int t = register - _inputs;
        return _outputOfTemporary[t] is >= 0 and var o
            ? new Span<float>((float*)outputs[o] + at, n)
            : scratch.AsSpan(t * ChunkLength, n);
    }

    private unsafe ReadOnlySpan<float> Read(int register, ReadOnlySpan<IntPtr> inputs, ReadOnlySpan<IntPtr> outputs, long at, int n, float[] scratch) =>
        register < _inputs ? new ReadOnlySpan<float>((float*)inputs[register] + at, n) : Destination(register, outputs, at, n, scratch);

    private void Apply(in Instruction ins, ReadOnlySpan<float> scalars, ReadOnlySpan<IntPtr> inputs, ReadOnlySpan<IntPtr> outputs, long at, int n, float[] scratch, Span<float> dest)
    {
        var a = ins.Inputs[0];
        var b = ins.Inputs.Length > 1 ? ins.Inputs[1] : default;
        var va = a.IsScalar ? default : Read(a.Index, inputs, outputs, at, n, scratch);
        var vb = ins.Inputs.Length < 2 || b.IsScalar ? default : Read(b.Index, inputs, outputs, at, n, scratch);
        if (Binary.TryGetValue(ins.Op, out var op))
        {
            // A commutative operator takes a scalar first operand in its (vector, scalar) form.
            if (!a.IsScalar && !b.IsScalar) op.VectorVector(va, vb, dest);
            else if (b.IsScalar) op.VectorScalar(va, scalars[b.Index], dest);
            else if (op.ScalarVector is { } sv) sv(scalars[a.Index], vb, dest);
            else op.VectorScalar(vb, scalars[a.Index], dest);
            return;
        }
        switch (ins.Op)
        {
            case "Clip":
                // Clip(x, min, max) with scalar bounds (the compiler admits no other form).
                TensorPrimitives.Max(va, scalars[b.Index], dest);
                TensorPrimitives.Min(dest, scalars[ins.Inputs[2].Index], dest);
                break;
            case "Sqrt": TensorPrimitives.Sqrt(va, dest); break;
            case "Neg": TensorPrimitives.Negate(va, dest); break;
            case "Abs": TensorPrimitives.Abs(va, dest); break;
            case "Sign":
                for (int i = 0; i < va.Length; i++) dest[i] = va[i] > 0 ? 1f : va[i] < 0 ? -1f : va[i];
                break;
            default: throw new InvalidOperationException($"'{ins.Op}' is not an element-wise update operation");
        }
    }

    private delegate void VectorVectorOp(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);
    private delegate void VectorScalarOp(ReadOnlySpan<float> x, float y, Span<float> destination);
    private delegate void ScalarVectorOp(float x, ReadOnlySpan<float> y, Span<float> destination);

    // The two-operand operators in their three operand forms; ScalarVector is null where the operator commutes.
    private sealed record BinaryForms(VectorVectorOp VectorVector, VectorScalarOp VectorScalar, ScalarVectorOp? ScalarVector = null);

    private static readonly Dictionary<string, BinaryForms> Binary = new()
    {
        ["Add"] = new(TensorPrimitives.Add, TensorPrimitives.Add),
        ["Sub"] = new(TensorPrimitives.Subtract, TensorPrimitives.Subtract, TensorPrimitives.Subtract),
        ["Mul"] = new(TensorPrimitives.Multiply, TensorPrimitives.Multiply),
        ["Div"] = new(TensorPrimitives.Divide, TensorPrimitives.Divide, TensorPrimitives.Divide),
        ["Max"] = new(TensorPrimitives.Max, TensorPrimitives.Max),
        ["Min"] = new(TensorPrimitives.Min, TensorPrimitives.Min),
    };

    /// <summary>The operators <see cref="Run"/> evaluates; Clip only with two scalar bounds, the rest with at most two operands.</summary>
    internal static readonly HashSet<string> Operators = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Clip", "Sqrt", "Neg", "Abs", "Sign"];
}
