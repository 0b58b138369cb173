using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxKit.IR;

namespace OnnxKit.Tests.Support;

/// <summary>A named host tensor for feeding and reading ORT in tests.</summary>
public sealed record HostTensor(string Name, ElementType Type, long[] Shape, Array Data)
{
    /// <summary>A float32 tensor.</summary>
    public static HostTensor F32(string name, float[] data, params long[] shape) => new(name, ElementType.Float32, shape, data);
    /// <summary>A float64 tensor.</summary>
    public static HostTensor F64(string name, double[] data, params long[] shape) => new(name, ElementType.Float64, shape, data);
    /// <summary>An int64 tensor.</summary>
    public static HostTensor I64(string name, long[] data, params long[] shape) => new(name, ElementType.Int64, shape, data);
    /// <summary>The data as float32.</summary>
    public float[] Floats => Data switch { float[] f => f, double[] d => d.Select(x => (float)x).ToArray(), long[] l => l.Select(x => (float)x).ToArray(), _ => throw new InvalidOperationException() };
    /// <summary>The data as float64.</summary>
    public double[] Doubles => Data switch { float[] f => f.Select(x => (double)x).ToArray(), double[] d => d, long[] l => l.Select(x => (double)x).ToArray(), _ => throw new InvalidOperationException() };
}

/// <summary>Runs a model on ONNX Runtime (CPU) from tests.</summary>
public static class OrtRun
{
    /// <summary>Runs <paramref name="model"/> on the inputs and returns every graph output by name.</summary>
    public static Dictionary<string, HostTensor> Run(OnnxModel model, params HostTensor[] inputs) => Run(model.ToBytes(), inputs);

    /// <summary>Runs a serialised model.</summary>
    public static Dictionary<string, HostTensor> Run(byte[] modelBytes, params HostTensor[] inputs)
    {
        using var opts = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(modelBytes, opts);
        return Run(session, inputs);
    }

    /// <summary>Runs a model file (external data beside it is found by ORT).</summary>
    public static Dictionary<string, HostTensor> RunFile(string path, params HostTensor[] inputs)
    {
        using var opts = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, opts);
        return Run(session, inputs);
    }

    private static Dictionary<string, HostTensor> Run(InferenceSession session, HostTensor[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var i in inputs) values.Add(ToOrt(i));
            using var outs = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToArray(), values, session.OutputNames);
            var result = new Dictionary<string, HostTensor>();
            for (int k = 0; k < session.OutputNames.Count; k++)
                result[session.OutputNames[k]] = FromOrt(session.OutputNames[k], outs[k]);
            return result;
        }
        finally { foreach (var v in values) v.Dispose(); }
    }

    /// <summary>Copies a host tensor into a new OrtValue.</summary>
    public static OrtValue ToOrt(HostTensor t) => t.Data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory((float[])f.Clone(), t.Shape),
        double[] d => OrtValue.CreateTensorValueFromMemory((double[])d.Clone(), t.Shape),
        long[] l => OrtValue.CreateTensorValueFromMemory((long[])l.Clone(), t.Shape),
        int[] l => OrtValue.CreateTensorValueFromMemory((int[])l.Clone(), t.Shape),
        bool[] b => OrtValue.CreateTensorValueFromMemory((bool[])b.Clone(), t.Shape),
        _ => throw new NotSupportedException(t.Data.GetType().Name),
    };

    /// <summary>Copies an OrtValue to the host.</summary>
    public static HostTensor FromOrt(string name, OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => HostTensor.F32(name, v.GetTensorDataAsSpan<float>().ToArray(), shape),
            TensorElementType.Double => HostTensor.F64(name, v.GetTensorDataAsSpan<double>().ToArray(), shape),
            TensorElementType.Int64 => HostTensor.I64(name, v.GetTensorDataAsSpan<long>().ToArray(), shape),
            TensorElementType.Bool => new HostTensor(name, ElementType.Bool, shape, v.GetTensorDataAsSpan<bool>().ToArray()),
            TensorElementType.Int32 => new HostTensor(name, ElementType.Int32, shape, v.GetTensorDataAsSpan<int>().ToArray()),
            TensorElementType.UInt32 => new HostTensor(name, ElementType.UInt32, shape, v.GetTensorDataAsSpan<uint>().ToArray()),
            _ => throw new NotSupportedException(info.ElementDataType.ToString()),
        };
    }
}
