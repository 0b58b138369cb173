using OnnxKit.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace OnnxKit.Server;

/// <summary>
/// An image body of <c>classify</c> (PNG or JPEG) as one row of the model's input, pixels scaled to [0, 1]: grey for
/// inputs with one channel or none (<c>[batch, H, W]</c>, <c>[batch, 1, H, W]</c>, or <c>[batch, H·W]</c> with the
/// image's H·W), RGB planes for <c>[batch, 3, H, W]</c>. The image must have the model's size; it is not resized,
/// so what the model sees is what was sent.
/// </summary>
internal static class ClassifyImage
{
    public static double[] Row(ReadOnlyMemory<byte> body, TensorInfo spec, long features)
    {
        Image<Rgb24> image;
        try { image = Image.Load<Rgb24>(body.Span); }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            throw new ProtocolException(400, $"the body is not a readable PNG or JPEG image: {e.Message}");
        }
        using (image)
        {
            var dims = spec.Dimensions;
            bool rgb = dims.Length == 4 && dims[1] == 3;
            long channels = rgb ? 3 : 1;
            if (image.Width * (long)image.Height * channels != features || (dims.Length >= 3 && (dims[^1] != image.Width || dims[^2] != image.Height)))
                throw new ProtocolException(400, $"the image is {image.Width}×{image.Height}; input '{spec.Name}' {spec.ShapeText} needs {(dims.Length >= 3 ? $"{dims[^1]}×{dims[^2]}" : $"{features} pixels")}{(rgb ? " RGB" : " grey")}");
            var row = new double[features];
            int plane = image.Width * image.Height;
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                {
                    var p = image[x, y];
                    int i = y * image.Width + x;
                    if (rgb) { row[i] = p.R / 255.0; row[plane + i] = p.G / 255.0; row[2 * plane + i] = p.B / 255.0; }
                    else row[i] = (0.299 * p.R + 0.587 * p.G + 0.114 * p.B) / 255.0; // ITU-R 601 luma, as ImageSharp's L8
                }
            return row;
        }
    }
}
