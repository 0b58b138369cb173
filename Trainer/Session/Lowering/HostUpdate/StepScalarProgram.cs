using OnnxKit.IR;

namespace OnnxKit.Training.Session.Lowering.HostUpdate;

/// <summary>
/// The scalar part of an optimizer graph (learning rate, step counter and shared state in; bias corrections, the next
/// counter and shared state out), evaluated on the host once per step. Each operation is computed in its ONNX element
/// type — float32 results are rounded to float32 after every operation, int64 stays integral — so the values are the
/// ones ONNX Runtime computes for the same nodes.
/// </summary>
internal sealed class StepScalarProgram
{
    /// <summary>One scalar operation: operator, operand slots, result slot, result type, and Cast's target type.</summary>
    internal readonly record struct Instruction(string Op, int[] Inputs, int Output, ElementType Type);

    private readonly List<Instruction> _instructions;
    private readonly ElementType[] _types;
    private readonly (double D, long L)[] _constants;   // the slots' initial values (constants; inputs are overwritten)

    internal StepScalarProgram(List<Instruction> instructions, ElementType[] types, (double, long)[] initial)
    {
        _instructions = instructions; _types = types; _constants = initial;
    }

    /// <summary>Slots of the program (inputs, constants, results).</summary>
    public int SlotCount => _types.Length;

    /// <summary>The element type held in slot <paramref name="slot"/>.</summary>
    public ElementType TypeOf(int slot) => _types[slot];

    /// <summary>Fresh slot values with the constants filled in (one array per caller; not shared between threads).</summary>
    public (double D, long L)[] NewSlots() => ((double, long)[])_constants.Clone();

    /// <summary>Runs every instruction over <paramref name="slots"/> (inputs written there beforehand).</summary>
    public void Run((double D, long L)[] slots)
    {
        foreach (var ins in _instructions)
        {
            var a = slots[ins.Inputs[0]];
            var b = ins.Inputs.Length > 1 ? slots[ins.Inputs[1]] : default;
            var inType = _types[ins.Inputs[0]];
            slots[ins.Output] = ins.Op == "Cast" ? Cast(a, inType, ins.Type) : Apply(ins.Op, ins.Type, a, b);
        }
    }

    private static (double, long) Cast((double D, long L) v, ElementType from, ElementType to)
    {
        if (from == ElementType.Int64)
            return to switch
            {
                ElementType.Int64 => (0, v.L),
                ElementType.Float32 => ((float)v.L, 0),
                _ => (v.L, 0),
            };
        return to switch
        {
            ElementType.Int64 => (0, checked((long)Math.Truncate(v.D))),
            ElementType.Float32 => ((float)v.D, 0),
            _ => (v.D, 0),
        };
    }

    private static (double, long) Apply(string op, ElementType type, (double D, long L) a, (double D, long L) b)
    {
        if (type == ElementType.Int64)
            return (0, op switch
            {
                "Add" => a.L + b.L,
                "Sub" => a.L - b.L,
                "Mul" => a.L * b.L,
                "Div" => a.L / b.L,
                "Neg" => -a.L,
                "Abs" => Math.Abs(a.L),
                "Min" => Math.Min(a.L, b.L),
                "Max" => Math.Max(a.L, b.L),
                "Identity" => a.L,
                _ => throw new InvalidOperationException($"int64 {op} is not a step-scalar operation"),
            });
        // float32 results are rounded after every operation, as ONNX Runtime's float32 kernels do.
        return (type == ElementType.Float32 ? Floating(op, (float)a.D, (float)b.D) : Floating(op, a.D, b.D), 0);
    }

    private static double Floating<T>(string op, T x, T y) where T : System.Numerics.IFloatingPointIeee754<T> => double.CreateChecked(op switch
    {
        "Add" => x + y,
        "Sub" => x - y,
        "Mul" => x * y,
        "Div" => x / y,
        "Pow" => T.Pow(x, y),
        "Sqrt" => T.Sqrt(x),
        "Neg" => -x,
        "Abs" => T.Abs(x),
        "Min" => T.Min(x, y),
        "Max" => T.Max(x, y),
        "Identity" => x,
        _ => throw new InvalidOperationException($"{typeof(T).Name} {op} is not a step-scalar operation"),
    });

    /// <summary>The operators <see cref="Run"/> evaluates (Cast among them).</summary>
    internal static readonly HashSet<string> Operators = ["Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Neg", "Abs", "Min", "Max", "Identity", "Cast"];
}
