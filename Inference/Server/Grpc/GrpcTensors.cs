using System.Runtime.InteropServices;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.Inference;
using OnnxKit.Server.Grpc.Protocol;

namespace OnnxKit.Server.Grpc;

/// <summary>
/// Tensors between gRPC messages and <see cref="TensorValue"/>s. An input's elements come either from
/// <c>raw_input_contents</c> (little-endian bytes, one entry per input, in order, used for all inputs or none) or from
/// the typed field of <c>contents</c> that matches its datatype (INT8/INT16 in <c>int_contents</c>, UINT8/UINT16 in
/// <c>uint_contents</c>, range-checked). Outputs go back the way the inputs came, raw or typed, unless a requested
/// output's <c>binary_data</c> parameter says otherwise. Every problem is a 400-class <see cref="ProtocolException"/>
/// with REST's wording.
/// </summary>
internal static class GrpcTensors
{
    /// <summary>The inputs of <paramref name="request"/>, checked against the model.</summary>
    public static Dictionary<string, TensorValue> Inputs(ModelInferRequest request, string model, ModelInfo info, bool allowNan)
    {
        int rawCount = request.RawInputContents.Count;
        if (rawCount > 0 && rawCount != request.Inputs.Count)
            throw Bad($"raw_input_contents has {rawCount} entries but the request has {request.Inputs.Count} inputs; when used, it carries every input, in the order of inputs");
        var result = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
        for (int k = 0; k < request.Inputs.Count; k++)
        {
            var input = request.Inputs[k];
            var (_, type) = InputSpec.Check(model, info, input.Name, input.Datatype);
            long count = Count(input.Name, input.Shape);
            Array data;
            if (rawCount > 0)
            {
                if (input.Contents is { } c && c.CalculateSize() > 0)
                    throw Bad($"input '{input.Name}' has contents although the request carries raw_input_contents; use one or the other");
                data = FromBytes(input.Name, request.RawInputContents[k].Span, type, count, input.Shape);
            }
            else
            {
                data = FromContents(input.Name, input.Contents ?? throw Bad($"input '{input.Name}' has no contents (and the request no raw_input_contents)"), type, count, input.Shape);
            }
            if (!allowNan) InferRequest.RejectNonFinite(data, input.Name);
            if (!result.TryAdd(input.Name, TensorValue.FromArray(data, input.Shape.ToArray()))) throw Bad($"input '{input.Name}' is given twice");
        }
        return result;
    }

    /// <summary>The outputs asked for (all, in the model's order, when none are named), each with whether it goes back raw.</summary>
    public static List<(string Name, bool Raw)> Outputs(ModelInferRequest request, string model, ModelInfo info)
    {
        bool raw = request.RawInputContents.Count > 0;
        if (request.Outputs.Count == 0) return info.Outputs.Select(o => (o.Name, raw)).ToList();
        var list = new List<(string, bool)>();
        foreach (var o in request.Outputs)
        {
            InputSpec.CheckOutput(model, info, o.Name);
            bool binary = o.Parameters.TryGetValue("binary_data", out var p) && p.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam ? p.BoolParam : raw;
            list.Add((o.Name, binary));
        }
        // The specification: raw_output_contents, when used, holds every output.
        if (list.Any(o => o.Item2) && !list.All(o => o.Item2))
            throw Bad("outputs were asked for partly raw and partly typed (binary_data); raw_output_contents holds every output or none, so ask for all raw or none");
        return list;
    }

    /// <summary>The response: each selected output typed or raw.</summary>
    public static ModelInferResponse Response(string model, long version, string id, List<(string Name, bool Raw)> outputs, Prediction prediction)
    {
        var response = new ModelInferResponse { ModelName = model, ModelVersion = version.ToString(System.Globalization.CultureInfo.InvariantCulture), Id = id };
        foreach (var (name, raw) in outputs)
        {
            var t = prediction[name].ToHost();
            var o = new ModelInferResponse.Types.InferOutputTensor { Name = name, Datatype = ElementTypes.ProtocolName(t.ElementType) };
            o.Shape.AddRange(t.Shape);
            if (raw) response.RawOutputContents.Add(ToBytes(t.Data!));
            else o.Contents = ToContents(t.Data!);
            response.Outputs.Add(o);
        }
        return response;
    }

    private static long Count(string name, RepeatedField<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw Bad($"input '{name}': shape entries must be non-negative integers, got {TensorValue.ShapeText(shape)}");
            try { count = checked(count * d); }
            catch (OverflowException) { throw Bad($"input '{name}': shape {TensorValue.ShapeText(shape)} is too large"); }
        }
        return count;
    }

    private static Array FromBytes(string name, ReadOnlySpan<byte> bytes, TensorElementType type, long count, RepeatedField<long> shape)
    {
        int elem = ElementTypes.Size(type);
        if (bytes.Length != count * elem)
            throw Bad($"input '{name}': shape {TensorValue.ShapeText(shape)} needs {count} elements ({count * elem} bytes of {ElementTypes.ProtocolName(type)}), raw_input_contents has {bytes.Length} bytes");
        var data = Array.CreateInstance(ElementTypes.ClrType(type), count);
        if (data is bool[] b) { for (int i = 0; i < b.Length; i++) b[i] = bytes[i] != 0; }
        else bytes.CopyTo(Bytes(data));
        return data;
    }

    private static Array FromContents(string name, InferTensorContents c, TensorElementType type, long count, RepeatedField<long> shape)
    {
        T[] Take<T>(RepeatedField<T> field, string fieldName)
        {
            if (field.Count != count)
                throw Bad($"input '{name}': shape {TensorValue.ShapeText(shape)} needs {count} values, {fieldName} has {field.Count}");
            return field.ToArray();
        }
        TOut[] Narrow<TIn, TOut>(RepeatedField<TIn> field, string fieldName, long min, long max, Func<TIn, TOut> cast) where TIn : IConvertible
        {
            var wide = Take(field, fieldName);
            var data = new TOut[wide.Length];
            for (int i = 0; i < wide.Length; i++)
            {
                long v = wide[i].ToInt64(null);
                if (v < min || v > max) throw Bad($"input '{name}': element {i} is {v}, out of range for {ElementTypes.ProtocolName(type)}");
                data[i] = cast(wide[i]);
            }
            return data;
        }
        return type switch
        {
            TensorElementType.Float => Take(c.Fp32Contents, "fp32_contents"),
            TensorElementType.Double => Take(c.Fp64Contents, "fp64_contents"),
            TensorElementType.Int64 => Take(c.Int64Contents, "int64_contents"),
            TensorElementType.Int32 => Take(c.IntContents, "int_contents"),
            TensorElementType.Int16 => Narrow(c.IntContents, "int_contents", short.MinValue, short.MaxValue, v => (short)v),
            TensorElementType.Int8 => Narrow(c.IntContents, "int_contents", sbyte.MinValue, sbyte.MaxValue, v => (sbyte)v),
            TensorElementType.UInt64 => Take(c.Uint64Contents, "uint64_contents"),
            TensorElementType.UInt32 => Take(c.UintContents, "uint_contents"),
            TensorElementType.UInt16 => Narrow(c.UintContents, "uint_contents", 0, ushort.MaxValue, v => (ushort)v),
            TensorElementType.UInt8 => Narrow(c.UintContents, "uint_contents", 0, byte.MaxValue, v => (byte)v),
            TensorElementType.Bool => Take(c.BoolContents, "bool_contents"),
            _ => throw Bad($"input '{name}': datatype {ElementTypes.ProtocolName(type)} is not supported over gRPC"),
        };
    }

    private static InferTensorContents ToContents(Array a)
    {
        var c = new InferTensorContents();
        switch (a)
        {
            case float[] x: c.Fp32Contents.AddRange(x); break;
            case double[] x: c.Fp64Contents.AddRange(x); break;
            case long[] x: c.Int64Contents.AddRange(x); break;
            case int[] x: c.IntContents.AddRange(x); break;
            case short[] x: c.IntContents.AddRange(x.Select(v => (int)v)); break;
            case sbyte[] x: c.IntContents.AddRange(x.Select(v => (int)v)); break;
            case ulong[] x: c.Uint64Contents.AddRange(x); break;
            case uint[] x: c.UintContents.AddRange(x); break;
            case ushort[] x: c.UintContents.AddRange(x.Select(v => (uint)v)); break;
            case byte[] x: c.UintContents.AddRange(x.Select(v => (uint)v)); break;
            case bool[] x: c.BoolContents.AddRange(x); break;
            default: throw new NotSupportedException(a.GetType().Name);
        }
        return c;
    }

    private static ByteString ToBytes(Array a) =>
        a is bool[] b ? ByteString.CopyFrom(b.Select(x => (byte)(x ? 1 : 0)).ToArray()) : ByteString.CopyFrom(Bytes(a));

    private static Span<byte> Bytes(Array a) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(a), checked((int)(a.LongLength * ElementTypes.Size(ElementTypes.FromClr(a.GetType().GetElementType()!)))));

    private static ProtocolException Bad(string message) => new(400, message);
}
