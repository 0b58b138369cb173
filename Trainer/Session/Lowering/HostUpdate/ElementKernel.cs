using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;

namespace OnnxKit.Training.Session.Lowering.HostUpdate;

/// <summary>
/// An <see cref="ElementProgram"/> compiled to one loop (a dynamic method the JIT turns into SIMD code): each step of the
/// loop loads eight elements of every input into registers, runs every instruction on registers, and stores the
/// outputs, so a tensor is read or written once per update and no temporary touches memory. Each instruction is the
/// same IEEE float32 operation as in the interpreted program (no contraction into fused multiply-adds), so both give
/// the same bits.
/// </summary>
internal static class ElementKernel
{
    /// <summary>Computes elements [start, end) of the outputs, end − start a multiple of <see cref="Width"/>.</summary>
    internal unsafe delegate void Loop(float* scalars, IntPtr* inputs, IntPtr* outputs, long start, long end);

    /// <summary>Elements per loop step.</summary>
    internal const int Width = 8;

    private static readonly Type V = typeof(Vector256<float>);

    /// <summary>The compiled loop, or null where the hardware has no 256-bit vectors or an instruction has no vector form here.</summary>
    public static Loop? TryCompile(IReadOnlyList<ElementProgram.Instruction> instructions, int inputs, int temporaries, IReadOnlyList<ElementProgram.Operand> outputs, int scalarCount)
    {
        if (!Vector256.IsHardwareAccelerated) return null;
        if (instructions.Any(i => !Operators.ContainsKey(i.Op) && i.Op != "Clip")) return null;
        var method = new DynamicMethod("fused_update", typeof(void), [typeof(float*), typeof(IntPtr*), typeof(IntPtr*), typeof(long), typeof(long)],
            typeof(ElementKernel).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var scalars = Enumerable.Range(0, scalarCount).Select(_ => il.DeclareLocal(V)).ToArray();
        var registers = Enumerable.Range(0, inputs + temporaries).Select(_ => il.DeclareLocal(V)).ToArray();
        var inputBase = Enumerable.Range(0, inputs).Select(_ => il.DeclareLocal(typeof(float*))).ToArray();
        var outputBase = Enumerable.Range(0, outputs.Count).Select(_ => il.DeclareLocal(typeof(float*))).ToArray();
        var offset = il.DeclareLocal(typeof(long));

        // Before the loop: broadcast each step scalar, fetch each tensor's address.
        for (int k = 0; k < scalarCount; k++)
        {
            il.Emit(OpCodes.Ldarg_0); il.Emit(OpCodes.Ldc_I4, k * sizeof(float)); il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Ldind_R4); il.Emit(OpCodes.Call, Create); il.Emit(OpCodes.Stloc, scalars[k]);
        }
        void Address(OpCode arg, int k, LocalBuilder into)
        {
            il.Emit(arg); il.Emit(OpCodes.Ldc_I4, k * IntPtr.Size); il.Emit(OpCodes.Add); il.Emit(OpCodes.Ldind_I); il.Emit(OpCodes.Stloc, into);
        }
        for (int k = 0; k < inputs; k++) Address(OpCodes.Ldarg_1, k, inputBase[k]);
        for (int k = 0; k < outputs.Count; k++) Address(OpCodes.Ldarg_2, k, outputBase[k]);
        il.Emit(OpCodes.Ldarg_3); il.Emit(OpCodes.Stloc, offset);

        var test = il.DefineLabel();
        var body = il.DefineLabel();
        il.Emit(OpCodes.Br, test);
        il.MarkLabel(body);
        void Element(LocalBuilder b)   // b + offset·4 (the address of this step's first element)
        {
            il.Emit(OpCodes.Ldloc, b); il.Emit(OpCodes.Ldloc, offset); il.Emit(OpCodes.Ldc_I8, (long)sizeof(float)); il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Conv_I); il.Emit(OpCodes.Add);
        }
        for (int k = 0; k < inputs; k++) { Element(inputBase[k]); il.Emit(OpCodes.Call, Load); il.Emit(OpCodes.Stloc, registers[k]); }
        void Push(ElementProgram.Operand o) => il.Emit(OpCodes.Ldloc, o.IsScalar ? scalars[o.Index] : registers[o.Index]);
        foreach (var ins in instructions)
        {
            if (ins.Op == "Clip")
            {
                Push(ins.Inputs[0]); Push(ins.Inputs[1]); il.Emit(OpCodes.Call, Operators["Max"]);
                Push(ins.Inputs[2]); il.Emit(OpCodes.Call, Operators["Min"]);
            }
            else
            {
                foreach (var o in ins.Inputs) Push(o);
                il.Emit(OpCodes.Call, Operators[ins.Op]);
            }
            il.Emit(OpCodes.Stloc, registers[ins.Output]);
        }
        for (int k = 0; k < outputs.Count; k++) { Push(outputs[k]); Element(outputBase[k]); il.Emit(OpCodes.Call, Store); }
        il.Emit(OpCodes.Ldloc, offset); il.Emit(OpCodes.Ldc_I8, (long)Width); il.Emit(OpCodes.Add); il.Emit(OpCodes.Stloc, offset);
        il.MarkLabel(test);
        il.Emit(OpCodes.Ldloc, offset); il.Emit(OpCodes.Ldarg, 4); il.Emit(OpCodes.Blt, body);
        il.Emit(OpCodes.Ret);
        return (Loop)method.CreateDelegate(typeof(Loop));
    }

    private static MethodInfo Generic(string name, params Type[] parameters) =>
        typeof(Vector256).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == parameters.Length)
            .Select(m => m.MakeGenericMethod(typeof(float)))
            .Single(m => m.GetParameters().Select(p => p.ParameterType).SequenceEqual(parameters));

    private static readonly MethodInfo Create = typeof(Vector256).GetMethod(nameof(Vector256.Create), [typeof(float)])!;
    private static readonly MethodInfo Load = Generic(nameof(Vector256.Load), typeof(float*));
    private static readonly MethodInfo Store = Generic(nameof(Vector256.Store), V, typeof(float*));

    // Two-operand forms take (vector, vector): a scalar operand is a broadcast register.
    private static readonly Dictionary<string, MethodInfo> Operators = new()
    {
        ["Add"] = Generic(nameof(Vector256.Add), V, V),
        ["Sub"] = Generic(nameof(Vector256.Subtract), V, V),
        ["Mul"] = Generic(nameof(Vector256.Multiply), V, V),
        ["Div"] = Generic(nameof(Vector256.Divide), V, V),
        ["Max"] = Generic(nameof(Vector256.Max), V, V),
        ["Min"] = Generic(nameof(Vector256.Min), V, V),
        ["Sqrt"] = Generic(nameof(Vector256.Sqrt), V),
        ["Neg"] = Generic(nameof(Vector256.Negate), V),
        ["Abs"] = Generic(nameof(Vector256.Abs), V),
    };
}
