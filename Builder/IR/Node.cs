using Google.Protobuf;
using OnnxKit.Schema;

namespace OnnxKit.IR;

/// <summary>
/// One operator application in a <see cref="Graph"/>. Inputs and outputs are value names (ONNX's own
/// representation: an empty name is an omitted optional input). Attributes are kept as ONNX messages so
/// that nothing is lost on a round trip; typed accessors read them.
/// </summary>
public sealed class Node
{
    /// <summary>Operator type, e.g. <c>Conv</c>.</summary>
    public string OpType { get; set; }
    /// <summary>Operator domain: empty (or <c>ai.onnx</c>) for the standard set.</summary>
    public string Domain { get; set; }
    /// <summary>Node name (unique within a graph where set).</summary>
    public string Name { get; set; }
    /// <summary>Input value names in order; empty string for an omitted optional input.</summary>
    public List<string> Inputs { get; }
    /// <summary>Output value names in order; empty string for an unused optional output.</summary>
    public List<string> Outputs { get; }
    /// <summary>Attributes in their original order.</summary>
    public List<AttributeProto> Attributes { get; }
    /// <summary>Documentation string.</summary>
    public string? DocString { get; set; }

    /// <summary>Fields of the node message this IR does not model (overload, metadata, unknown fields), kept for round trips.</summary>
    internal NodeProto? Extra { get; set; }

    /// <summary>Creates a node.</summary>
    public Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name = "", string domain = "", IEnumerable<AttributeProto>? attributes = null)
    {
        OpType = opType; Domain = domain; Name = name;
        Inputs = inputs.ToList(); Outputs = outputs.ToList();
        Attributes = attributes?.ToList() ?? [];
    }

    /// <summary>Where this node can be found in error messages: its name, else its op type and first output.</summary>
    public string Describe() => string.IsNullOrEmpty(Name) ? $"{OpType} node producing '{Outputs.FirstOrDefault()}'" : $"{OpType} node '{Name}'";

    /// <summary>The attribute of that name, or null.</summary>
    public AttributeProto? Attribute(string name) => Attributes.Find(a => a.Name == name);

    /// <summary>An integer attribute, or the default.</summary>
    public long GetInt(string name, long dflt) => Attribute(name) is { } a && a.HasI ? a.I : dflt;
    /// <summary>A float attribute, or the default.</summary>
    public float GetFloat(string name, float dflt) => Attribute(name) is { } a && a.HasF ? a.F : dflt;
    /// <summary>A string attribute, or the default.</summary>
    public string? GetString(string name, string? dflt = null) => Attribute(name) is { } a && a.HasS ? a.S.ToStringUtf8() : dflt;
    /// <summary>An integer-list attribute, or null.</summary>
    public long[]? GetInts(string name) => Attribute(name) is { } a && a.Type == AttributeProto.Types.AttributeType.Ints ? a.Ints.ToArray() : null;
    /// <summary>A float-list attribute, or null.</summary>
    public float[]? GetFloats(string name) => Attribute(name) is { } a && a.Type == AttributeProto.Types.AttributeType.Floats ? a.Floats.ToArray() : null;
    /// <summary>A tensor attribute, or null.</summary>
    public TensorProto? GetTensor(string name) => Attribute(name)?.T;

    /// <summary>Sets (replaces) an attribute.</summary>
    public Node Set(AttributeProto attribute)
    {
        int i = Attributes.FindIndex(a => a.Name == attribute.Name);
        if (i >= 0) Attributes[i] = attribute; else Attributes.Add(attribute);
        return this;
    }

    /// <summary>Removes an attribute if present.</summary>
    public bool Remove(string attributeName) => Attributes.RemoveAll(a => a.Name == attributeName) > 0;

    /// <summary>Reads a node message.</summary>
    public static Node FromProto(NodeProto p)
    {
        var n = new Node(p.OpType, p.Input, p.Output, p.Name, p.Domain, p.Attribute.Select(a => a.Clone()))
        {
            DocString = p.HasDocString ? p.DocString : null,
        };
        // Keep what is not modelled, along with which of the modelled optional fields were present.
        var extra = p.Clone();
        extra.Input.Clear(); extra.Output.Clear(); extra.Attribute.Clear();
        n.Extra = extra;
        return n;
    }

    /// <summary>Writes the node message.</summary>
    public NodeProto ToProto()
    {
        var p = Extra?.Clone() ?? new NodeProto();
        p.Input.Clear(); p.Input.AddRange(Inputs);
        p.Output.Clear(); p.Output.AddRange(Outputs);
        p.Attribute.Clear(); p.Attribute.AddRange(Attributes.Select(a => a.Clone()));
        SetOrClear(p, OpType, x => p.OpType = x, () => p.ClearOpType(), p.HasOpType);
        SetOrClear(p, Name, x => p.Name = x, () => p.ClearName(), p.HasName);
        SetOrClear(p, Domain, x => p.Domain = x, () => p.ClearDomain(), p.HasDomain);
        if (DocString is null) p.ClearDocString(); else p.DocString = DocString;
        return p;
    }

    // An empty string is written only where the source had the field explicitly (round-trip fidelity).
    private static void SetOrClear(NodeProto _, string value, Action<string> set, Action clear, bool hadIt)
    {
        if (value.Length > 0 || hadIt) set(value); else clear();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Describe()}({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}

/// <summary>Factories for attribute messages.</summary>
public static class Attr
{
    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    /// <summary>A string attribute.</summary>
    public static AttributeProto String(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, IEnumerable<long> v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints }; a.Ints.AddRange(v); return a; }
    /// <summary>A float-list attribute.</summary>
    public static AttributeProto Floats(string name, IEnumerable<float> v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats }; a.Floats.AddRange(v); return a; }
    /// <summary>A string-list attribute.</summary>
    public static AttributeProto Strings(string name, IEnumerable<string> v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings }; a.Strings.AddRange(v.Select(ByteString.CopyFromUtf8)); return a; }
    /// <summary>A tensor attribute.</summary>
    public static AttributeProto Tensor(string name, TensorProto t) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
    /// <summary>A graph attribute.</summary>
    public static AttributeProto Graph(string name, GraphProto g) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g };
}
