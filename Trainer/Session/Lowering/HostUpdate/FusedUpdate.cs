using OnnxKit.IR;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Training.Session.Lowering.HostUpdate;

/// <summary>
/// An optimizer's element-wise update as the host runs it on the CPU: read from the optimizer's own standard graph
/// (<see cref="OptimizerGraph.Build"/> for one parameter), so the update rule stays written once, in ONNX; the step
/// scalars become a <see cref="StepScalarProgram"/> and the per-element nodes an <see cref="ElementProgram"/>. Only the
/// execution changes — the artifacts keep the standard graph.
/// </summary>
/// <remarks>
/// Why: on small models a step's optimizer update is many element-wise nodes over a few tensors, and ONNX Runtime pays a
/// kernel dispatch and a full pass over memory for each (Adam: ten passes per parameter plus the step scalars' nodes);
/// chunked on the host the same operations read each tensor once.
/// </remarks>
internal sealed class FusedUpdate
{
    private const string Param = "p";

    private FusedUpdate(Optimizer optimizer, StepScalarProgram scalars, ElementProgram elements, int[] elementScalarSlots,
        int lrSlot, int[] stateInputSlots, int[] stateOutputSlots)
    {
        Optimizer = optimizer; Scalars = scalars; Elements = elements; ElementScalarSlots = elementScalarSlots;
        LearningRateSlot = lrSlot; StateInputSlots = stateInputSlots; StateOutputSlots = stateOutputSlots;
    }

    /// <summary>The optimizer this update is read from.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>The step-scalar program.</summary>
    public StepScalarProgram Scalars { get; }
    /// <summary>The per-element program; its inputs are parameter, gradient, then the slots in <see cref="Optimizer.Slots"/> order; its outputs the next parameter, then the next slots.</summary>
    public ElementProgram Elements { get; }
    /// <summary>For each scalar operand of <see cref="Elements"/>, the step-scalar slot that holds it (float32).</summary>
    public int[] ElementScalarSlots { get; }
    /// <summary>The step-scalar slot of the learning rate.</summary>
    public int LearningRateSlot { get; }
    /// <summary>Per optimizer-wide state entry (the step counter, then <see cref="Optimizer.SharedSlots"/>): the slot its current value is written to.</summary>
    public int[] StateInputSlots { get; }
    /// <summary>Per optimizer-wide state entry: the slot its next value is read from.</summary>
    public int[] StateOutputSlots { get; }

    /// <summary>
    /// Evaluates this step's scalars over <paramref name="slots"/> (from <see cref="StepScalarProgram.NewSlots"/>) for
    /// learning rate <paramref name="lr"/> and the optimizer-wide state's current values <paramref name="state"/>
    /// (<see cref="StateNames"/> order: int64 values in L, float32 in D); writes the element program's scalars and the
    /// state's next values.
    /// </summary>
    public void EvaluateStep((double D, long L)[] slots, float lr, ReadOnlySpan<(double D, long L)> state, Span<float> elementScalars, Span<(double D, long L)> nextState)
    {
        for (int k = 0; k < StateInputSlots.Length; k++) slots[StateInputSlots[k]] = state[k];
        slots[LearningRateSlot] = (lr, 0);
        Scalars.Run(slots);
        for (int k = 0; k < StateOutputSlots.Length; k++) nextState[k] = slots[StateOutputSlots[k]];
        for (int i = 0; i < ElementScalarSlots.Length; i++) elementScalars[i] = (float)slots[ElementScalarSlots[i]].D;
    }

    /// <summary>The names of the optimizer-wide state, in the order of <see cref="StateInputSlots"/>.</summary>
    public IReadOnlyList<string> StateNames =>
        [Optimizer.StepCounterName, .. Optimizer.SharedSlots.Select(s => $"optimizer.{s.Name}")];

    /// <summary>
    /// The host form of <paramref name="optimizer"/>'s update, or null with the reason in <paramref name="why"/> when its
    /// graph has something the host programs do not evaluate (a non-element-wise update, gradient-norm clipping, host
    /// inputs, an operator outside the supported set).
    /// </summary>
    public static FusedUpdate? TryCreate(Optimizer optimizer, out string why) => TryCreate(optimizer, compile: true, out why);

    /// <summary>As <see cref="TryCreate(Optimizer, out string)"/>; <paramref name="compile"/> false keeps the chunked interpreter (for tests).</summary>
    internal static FusedUpdate? TryCreate(Optimizer optimizer, bool compile, out string why)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!optimizer.UpdatesElementwise) { why = $"optimizer '{optimizer.Name}' does not update element by element"; return null; }
        if (optimizer.ClipGradNorm is not null) { why = "gradient-norm clipping reads every gradient at once"; return null; }
        if (optimizer.HostInputs.Count > 0) { why = $"optimizer '{optimizer.Name}' takes per-step host inputs"; return null; }
        var graph = OptimizerGraph.Build(optimizer, [(Param, [ElementProgram.ChunkLength])]).Graph;
        OutputIdentities.Remove(graph);
        return new Compiler(optimizer, graph, compile).Compile(out why);
    }

    private sealed class Compiler(Optimizer optimizer, Graph graph, bool compile)
    {
        private readonly Dictionary<string, int> _scalarSlot = [];
        private readonly List<ElementType> _scalarTypes = [];
        private readonly List<(double, long)> _scalarInitial = [];
        private readonly List<StepScalarProgram.Instruction> _scalarCode = [];
        private readonly Dictionary<string, int> _register = [];
        private readonly List<ElementProgram.Instruction> _elementCode = [];
        private readonly Dictionary<int, int> _elementScalar = [];   // step-scalar slot → element-program scalar index
        private int _inputs, _temporaries;

        private int NewScalar(string name, ElementType type, (double, long) initial = default)
        {
            _scalarTypes.Add(type); _scalarInitial.Add(initial);
            return _scalarSlot[name] = _scalarTypes.Count - 1;
        }

        public FusedUpdate? Compile(out string why)
        {
            // Tensor inputs: parameter, gradient, slots; everything else (lr, counter, shared state) is a scalar.
            string[] tensorInputs = [Param, Param + ".grad", .. optimizer.Slots.Select(s => $"{Param}.{s.Name}")];
            foreach (var name in tensorInputs) _register[name] = _inputs++;
            foreach (var input in graph.Inputs)
                if (!_register.ContainsKey(input.Name)) NewScalar(input.Name, (ElementType)input.Type.TensorType.ElemType);
            foreach (var init in graph.Initializers)
            {
                if (init.ElementCount != 1) { why = $"initializer '{init.Name}' is not a scalar"; return null; }
                NewScalar(init.Name, init.ElementType, ScalarOf(init.Proto));
            }
            foreach (var node in graph.Nodes)
                if (Add(node) is { } problem) { why = $"{node.Describe()}: {problem}"; return null; }

            string[] tensorOutputs = [$"{Param}.next", .. optimizer.Slots.Select(s => $"{Param}.{s.Name}.next")];
            var outputs = new ElementProgram.Operand[tensorOutputs.Length];
            for (int o = 0; o < tensorOutputs.Length; o++)
            {
                if (_register.TryGetValue(tensorOutputs[o], out int r)) outputs[o] = new(false, r);
                else if (_scalarSlot.TryGetValue(tensorOutputs[o], out int s) && _scalarTypes[s] == ElementType.Float32) outputs[o] = new(true, ElementScalar(s));
                else { why = $"output '{tensorOutputs[o]}' is not a float32 value of the update"; return null; }
            }
            string[] stateNames = [Optimizer.StepCounterName, .. optimizer.SharedSlots.Select(s => $"optimizer.{s.Name}")];
            var stateIn = new int[stateNames.Length];
            var stateOut = new int[stateNames.Length];
            for (int k = 0; k < stateNames.Length; k++)
            {
                if (!_scalarSlot.TryGetValue(stateNames[k], out stateIn[k]) || !_scalarSlot.TryGetValue(stateNames[k] + ".next", out stateOut[k]))
                { why = $"the optimizer-wide state '{stateNames[k]}' is not a step scalar"; return null; }
            }
            var scalarOf = new int[_elementScalar.Count];
            foreach (var (slot, index) in _elementScalar) scalarOf[index] = slot;
            why = "";
            return new FusedUpdate(optimizer,
                new StepScalarProgram(_scalarCode, [.. _scalarTypes], [.. _scalarInitial]),
                new ElementProgram([.. _elementCode], _inputs, _temporaries, outputs, _elementScalar.Count, compile),
                scalarOf, _scalarSlot[Optimizer.LearningRateName], stateIn, stateOut);
        }

        private int ElementScalar(int slot)
        {
            if (!_elementScalar.TryGetValue(slot, out int index)) _elementScalar[slot] = index = _elementScalar.Count;
            return index;
        }

        // Adds one node to the scalar or the element program; returns why it cannot, or null.
        private string? Add(Node node)
        {
            if (node.Domain is not ("" or "ai.onnx")) return "not a standard operator";
            if (node.Outputs.Count != 1) return "more than one output";
            string output = node.Outputs[0];
            if (node.OpType == "Constant")
            {
                if (node.GetTensor("value") is not { } t || t.Dims.Aggregate(1L, (a, d) => a * d) != 1) return "not a scalar constant";
                NewScalar(output, (ElementType)t.DataType, ScalarOf(t));
                return null;
            }
            var present = node.Inputs.Where(i => i.Length > 0).ToList();
            if (present.Any(i => !_register.ContainsKey(i) && !_scalarSlot.ContainsKey(i))) return "reads a value the update does not compute";
            if (present.All(_scalarSlot.ContainsKey))
            {
                if (!StepScalarProgram.Operators.Contains(node.OpType) || present.Count > 2) return "not a supported scalar operation";
                var inputTypes = present.Select(i => _scalarTypes[_scalarSlot[i]]).Distinct().ToList();
                ElementType type = node.OpType == "Cast" ? (ElementType)node.GetInt("to", 0) : inputTypes[0];
                if (node.OpType != "Cast" && inputTypes.Count > 1) return "mixes element types";
                if (node.OpType == "Pow" && type == ElementType.Int64) return "int64 Pow";
                if (type is not (ElementType.Float32 or ElementType.Float64 or ElementType.Int64)) return $"element type {type}";
                int[] ins = present.Select(i => _scalarSlot[i]).ToArray();
                _scalarCode.Add(new(node.OpType, ins, NewScalar(output, type), type));
                return null;
            }
            // Element-wise: every operand a float32 tensor register or float32 step scalar.
            string op = node.OpType;
            if (op == "Cast") { if (node.GetInt("to", 0) != (long)ElementType.Float32) return "casts a tensor to another type"; op = "Identity"; }
            if (op == "Clip")
            {
                bool hasMin = node.Inputs.Count > 1 && node.Inputs[1].Length > 0, hasMax = node.Inputs.Count > 2 && node.Inputs[2].Length > 0;
                op = hasMin && hasMax ? "Clip" : hasMin ? "Max" : hasMax ? "Min" : "Identity";
                if (node.Inputs.Skip(1).Any(i => i.Length > 0 && !_scalarSlot.ContainsKey(i))) return "Clip bounds are tensors";
            }
            // A copy computes nothing: the output names its operand's register (a tensor: the node reads one).
            if (op == "Identity") { _register[output] = _register[present[0]]; return null; }
            if (!ElementProgram.Operators.Contains(op) || (op != "Clip" && present.Count > 2)) return "not a supported element-wise operation";
            var operands = new List<ElementProgram.Operand>();
            foreach (var i in present)
            {
                if (_register.TryGetValue(i, out int r)) operands.Add(new(false, r));
                else if (_scalarTypes[_scalarSlot[i]] != ElementType.Float32) return $"operand '{i}' is {_scalarTypes[_scalarSlot[i]]}, not float32";
                else operands.Add(new(true, ElementScalar(_scalarSlot[i])));
            }
            if (operands[0].IsScalar && op is "Sqrt" or "Neg" or "Abs" or "Sign" or "Clip") return "a scalar first operand";
            int register = _inputs + _temporaries++;
            _register[output] = register;
            _elementCode.Add(new(op, [.. operands], register));
            return null;
        }

        private static (double, long) ScalarOf(OnnxKit.Schema.TensorProto t) => (ElementType)t.DataType == ElementType.Int64
            ? (0, TensorData.ToInt64Array(t)[0])
            : (TensorData.ToDoubleArray(t)[0], 0);
    }
}
