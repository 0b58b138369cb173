using OnnxKit.IR;
using OnnxKit.Schema;

namespace OnnxKit;

public static partial class Op
{
    /// <summary>
    /// N-d convolution of <paramref name="x"/> [N, C, spatial…] with weight [M, C/group, kernel…] and optional bias [M].
    /// <paramref name="pads"/> holds begin pads for every spatial axis then end pads (ONNX order);
    /// <paramref name="autoPad"/> may be <c>SAME_UPPER</c>, <c>SAME_LOWER</c> or <c>VALID</c> instead.
    /// </summary>
    public static Value Conv(Value x, Value weight, Value? bias = null, long[]? strides = null, long[]? pads = null,
        long[]? dilations = null, long group = 1, string? autoPad = null, long[]? kernelShape = null)
    {
        var attrs = ConvAttributes(strides, pads, dilations, autoPad, kernelShape);
        if (group != 1) attrs.Add(Attr.Int("group", group));
        return B(x).Node("Conv", bias is null ? [x, weight] : [x, weight, bias], 1, attrs)[0];
    }

    /// <summary>Transposed convolution; weight is [C, M/group, kernel…]. <paramref name="outputPadding"/> adds to the end of each spatial axis.</summary>
    public static Value ConvTranspose(Value x, Value weight, Value? bias = null, long[]? strides = null, long[]? pads = null,
        long[]? dilations = null, long group = 1, long[]? outputPadding = null, long[]? outputShape = null, string? autoPad = null, long[]? kernelShape = null)
    {
        var attrs = ConvAttributes(strides, pads, dilations, autoPad, kernelShape);
        if (group != 1) attrs.Add(Attr.Int("group", group));
        if (outputPadding is not null) attrs.Add(Attr.Ints("output_padding", outputPadding));
        if (outputShape is not null) attrs.Add(Attr.Ints("output_shape", outputShape));
        return B(x).Node("ConvTranspose", bias is null ? [x, weight] : [x, weight, bias], 1, attrs)[0];
    }

    /// <summary>Max pooling returning [values, flat argmax indices (int64, NCHW order)].</summary>
    public static Value[] MaxPoolWithIndices(Value x, long[] kernelShape, long[]? strides = null, long[]? pads = null, long[]? dilations = null, bool ceilMode = false)
    {
        var attrs = PoolAttributes(kernelShape, strides, pads, ceilMode);
        if (dilations is not null) attrs.Add(Attr.Ints("dilations", dilations));
        return B(x).Node("MaxPool", [x], 2, attrs);
    }

    /// <summary>Max pooling over windows of <paramref name="kernelShape"/> (stride defaults to 1, as ONNX).</summary>
    public static Value MaxPool(Value x, long[] kernelShape, long[]? strides = null, long[]? pads = null, long[]? dilations = null, bool ceilMode = false)
    {
        var attrs = PoolAttributes(kernelShape, strides, pads, ceilMode);
        if (dilations is not null) attrs.Add(Attr.Ints("dilations", dilations));
        return B(x).Node("MaxPool", [x], 1, attrs)[0];
    }

    /// <summary>Average pooling; <paramref name="countIncludePad"/> counts padded cells in the divisor.</summary>
    public static Value AveragePool(Value x, long[] kernelShape, long[]? strides = null, long[]? pads = null, bool ceilMode = false, bool countIncludePad = false)
    {
        var attrs = PoolAttributes(kernelShape, strides, pads, ceilMode);
        if (countIncludePad) attrs.Add(Attr.Int("count_include_pad", 1));
        return B(x).Node("AveragePool", [x], 1, attrs)[0];
    }

    /// <summary>Mean over all spatial axes, keeping them as size 1.</summary>
    public static Value GlobalAveragePool(Value x) => Unary("GlobalAveragePool", x);
    /// <summary>Max over all spatial axes, keeping them as size 1.</summary>
    public static Value GlobalMaxPool(Value x) => Unary("GlobalMaxPool", x);

    private static List<AttributeProto> ConvAttributes(long[]? strides, long[]? pads, long[]? dilations, string? autoPad, long[]? kernelShape)
    {
        var attrs = new List<AttributeProto>();
        if (autoPad is not null && autoPad != "NOTSET") attrs.Add(Attr.String("auto_pad", autoPad));
        if (kernelShape is not null) attrs.Add(Attr.Ints("kernel_shape", kernelShape));
        if (strides is not null) attrs.Add(Attr.Ints("strides", strides));
        if (pads is not null) attrs.Add(Attr.Ints("pads", pads));
        if (dilations is not null) attrs.Add(Attr.Ints("dilations", dilations));
        return attrs;
    }

    private static List<AttributeProto> PoolAttributes(long[] kernelShape, long[]? strides, long[]? pads, bool ceilMode)
    {
        var attrs = new List<AttributeProto> { Attr.Ints("kernel_shape", kernelShape) };
        if (strides is not null) attrs.Add(Attr.Ints("strides", strides));
        if (pads is not null) attrs.Add(Attr.Ints("pads", pads));
        if (ceilMode) attrs.Add(Attr.Int("ceil_mode", 1));
        return attrs;
    }
}
