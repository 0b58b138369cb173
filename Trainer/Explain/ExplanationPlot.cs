using OnnxKit.IO;
namespace OnnxKit.Explain;

/// <summary>Pictures of an <see cref="Attribution"/> (ScottPlot): a heat map over the input image, or the top features' bars.</summary>
public static class ExplanationPlot
{
    /// <summary>
    /// Writes a PNG of <paramref name="attribution"/> over <paramref name="input"/> (the image in grey, the attributions
    /// summed over channels in colour, a colour bar), or for a feature vector a bar chart of the <paramref name="topFeatures"/>
    /// largest attributions; <paramref name="title"/> goes on top. The file is written atomically.
    /// </summary>
    public static void Save(string path, float[] input, Attribution attribution, InputLayout layout, string title, int topFeatures = 15)
    {
        var plot = new ScottPlot.Plot();
        if (layout.IsVector) Bars(plot, attribution.Values, topFeatures);
        else Overlay(plot, input, attribution, layout);
        plot.Title(title);
        AtomicFile.WriteVia(path, tmp => plot.SavePng(tmp, layout.IsVector ? 720 : 640, 520));
    }

    private static void Overlay(ScottPlot.Plot plot, float[] input, Attribution a, InputLayout l)
    {
        var grey = new double[l.Height, l.Width];
        var heat = new double[l.Height, l.Width];
        // Gradients are signed; their size is what saliency maps show.
        bool magnitude = a.Method is AttributionMethod.Saliency or AttributionMethod.SmoothGrad;
        for (int y = 0; y < l.Height; y++)
            for (int x = 0; x < l.Width; x++)
                for (int c = 0; c < l.Channels; c++)
                {
                    int i = l.Index(c, y, x);
                    grey[y, x] += input[i] / l.Channels;
                    heat[y, x] += magnitude ? Math.Abs(a.Values[i]) : a.Values[i];
                }
        var image = plot.Add.Heatmap(grey);
        image.Colormap = new ScottPlot.Colormaps.Grayscale();
        var overlay = plot.Add.Heatmap(heat);
        double max = Math.Max(1e-12, heat.Cast<double>().Max(Math.Abs));
        bool signed = heat.Cast<double>().Any(v => v < 0);
        overlay.Colormap = signed ? new ScottPlot.Colormaps.Balance() : new ScottPlot.Colormaps.Inferno();
        overlay.ManualRange = signed ? new ScottPlot.Range(-max, max) : new ScottPlot.Range(0, max);
        overlay.Opacity = 0.6;
        var bar = plot.Add.ColorBar(overlay);
        bar.Label = magnitude ? "|attribution|" : "attribution";
        plot.Axes.SquareUnits();
        plot.HideGrid();
        plot.Axes.Frameless();
    }

    /// <summary>The indices of the <paramref name="top"/> largest attributions by magnitude, largest first (ties: lower index first).</summary>
    internal static int[] TopFeatures(float[] values, int top) =>
        values.Select((v, i) => (v, i)).OrderByDescending(t => Math.Abs(t.v)).Take(Math.Max(1, top)).Select(t => t.i).ToArray();

    private static void Bars(ScottPlot.Plot plot, float[] values, int top)
    {
        // The largest at the top of a horizontal bar chart, so the last bar drawn.
        var order = TopFeatures(values, top).Reverse().Select(i => (v: values[i], i)).ToArray();
        var bars = order.Select((t, k) => new ScottPlot.Bar
        {
            Position = k, Value = t.v,
            FillColor = t.v >= 0 ? ScottPlot.Colors.Red : ScottPlot.Colors.SteelBlue,
        }).ToArray();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plot.Axes.Left.SetTicks(order.Select((_, k) => (double)k).ToArray(), order.Select(t => $"feature {t.i}").ToArray());
        plot.XLabel("attribution");
    }
}
