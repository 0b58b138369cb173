using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace OnnxKit.Training.Data;

/// <summary>How to read a folder of images (one sub-folder per class).</summary>
public sealed class ImageFolderOptions
{
    /// <summary>Required image width; by default the first image's width.</summary>
    public int? Width { get; init; }
    /// <summary>Required image height; by default the first image's height.</summary>
    public int? Height { get; init; }
    /// <summary>Resize every image to <see cref="Width"/> × <see cref="Height"/> (both needed) instead of rejecting other sizes.</summary>
    public bool Resize { get; init; }
    /// <summary>Read one luminance channel instead of RGB.</summary>
    public bool Grayscale { get; init; }
    /// <summary>Scale pixels to [0, 1] (default) instead of 0–255.</summary>
    public bool Scale { get; init; } = true;
}

/// <summary>
/// Reads <c>root/&lt;class&gt;/*.png|jpg|jpeg|bmp|gif</c> into a dataset of channel-first samples [C, H, W];
/// classes are the sub-folder names in ordinal order, files are read in ordinal order of their names.
/// </summary>
public static class ImageFolderReader
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif" };

    /// <summary>Reads the folder.</summary>
    /// <exception cref="InvalidDataException">No class folders or images, an undecodable image, or an image of the wrong size without <see cref="ImageFolderOptions.Resize"/>: names the file and the sizes.</exception>
    public static TensorDataset Read(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder '{root}' does not exist");
        if (options.Resize && (options.Width is null || options.Height is null))
            throw new ArgumentException("ImageFolderOptions.Resize needs both Width and Height", nameof(options));
        var classDirs = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"image folder '{root}': expected one sub-folder per class, found none");
        var classNames = classDirs.Select(Path.GetFileName).Select(n => n!).ToArray();
        var files = new List<(string Path, long Label)>();
        for (int c = 0; c < classDirs.Length; c++)
            files.AddRange(Directory.GetFiles(classDirs[c]).Where(f => Extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal).Select(f => (f, (long)c)));
        if (files.Count == 0)
            throw new InvalidDataException($"image folder '{root}': no images ({string.Join(", ", Extensions)}) in its class folders [{string.Join(", ", classNames)}]");

        int channels = options.Grayscale ? 1 : 3;
        int? width = options.Width, height = options.Height;
        float[]? features = null;
        var labels = new long[files.Count];
        float divisor = options.Scale ? 255f : 1f;
        for (int n = 0; n < files.Count; n++)
        {
            var (path, label) = files[n];
            using var image = Decode(path);
            if (width is null || height is null) { width ??= image.Width; height ??= image.Height; }
            if (image.Width != width || image.Height != height)
            {
                if (!options.Resize)
                    throw new InvalidDataException($"image '{path}' is {image.Width}×{image.Height}, expected {width}×{height} (the size of the first image or the one asked for); set ImageFolderOptions.Resize with Width and Height to resize");
                image.Mutate(x => x.Resize(width.Value, height.Value));
            }
            features ??= new float[(long)files.Count * channels * width.Value * height.Value];
            int plane = width.Value * height.Value;
            int baseOffset = n * channels * plane;
            int w = width.Value;
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        var p = row[x];
                        int o = baseOffset + y * w + x;
                        if (channels == 1)
                            features[o] = (0.299f * p.R + 0.587f * p.G + 0.114f * p.B) / divisor; // ITU-R BT.601 luma
                        else
                        {
                            features[o] = p.R / divisor;
                            features[o + plane] = p.G / divisor;
                            features[o + 2 * plane] = p.B / divisor;
                        }
                    }
                }
            });
            labels[n] = label;
        }
        return new TensorDataset(features!, [channels, height!.Value, width!.Value], labels, classNames, classNames.Length, root);
    }

    private static Image<Rgb24> Decode(string path)
    {
        try { return Image.Load<Rgb24>(path); }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or ImageFormatException)
        {
            throw new InvalidDataException($"image '{path}' cannot be decoded: {e.Message}", e);
        }
    }
}
