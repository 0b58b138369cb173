using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxKit.Training.Session.Memory;

/// <summary>
/// Bytes that crossed between host and device memory, counted where they cross: the values a run reads or writes in
/// host memory while it computes on a device, and the explicit copies of <see cref="StateMemory"/>. Where everything is
/// host memory nothing crosses and nothing is counted. Tests read it to hold a step to the batch in, the scalars out.
/// </summary>
internal sealed class HostTraffic
{
    /// <summary>What one run moves: bytes to the device, bytes back to the host.</summary>
    public readonly record struct Crossing(long ToDevice, long ToHost);

    /// <summary>Bytes copied host → device so far.</summary>
    public long ToDevice { get; private set; }
    /// <summary>Bytes copied device → host so far.</summary>
    public long ToHost { get; private set; }

    /// <summary>Counts one run or copy.</summary>
    public void Add(Crossing c) { ToDevice += c.ToDevice; ToHost += c.ToHost; }

    /// <summary>The crossing of a run that binds <paramref name="inputs"/> and <paramref name="outputs"/>: those not in <paramref name="memory"/>'s device memory.</summary>
    public static Crossing Of(StateMemory memory, IEnumerable<OrtValue> inputs, IEnumerable<OrtValue> outputs)
    {
        if (memory.InPlace) return default;
        long Bytes(IEnumerable<OrtValue> values) => values.Where(v => !memory.OnDevice(v)).Sum(ByteSize);
        return new(Bytes(inputs), Bytes(outputs));
    }

    /// <summary>The size of a tensor's data in bytes.</summary>
    public static long ByteSize(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        return info.ElementCount * info.ElementDataType switch
        {
            TensorElementType.Float or TensorElementType.Int32 => 4,
            TensorElementType.Int64 or TensorElementType.Double => 8,
            TensorElementType.Bool or TensorElementType.Int8 or TensorElementType.UInt8 => 1,
            var t => throw new NotSupportedException($"no byte size for tensor element type {t}"),
        };
    }
}
