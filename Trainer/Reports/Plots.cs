using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;

namespace OnnxKit.Training.Reports;

/// <summary>Learning-curve and confusion-matrix PNGs (ScottPlot).</summary>
public static class Plots
{
    /// <summary>Loss (and each metric) per epoch, training and validation, one panel per quantity stacked vertically.</summary>
    public static void LearningCurves(string path, IReadOnlyList<EpochRecord> epochs)
    {
        var quantities = new List<string> { "loss" };
        quantities.AddRange(epochs.SelectMany(e => e.TrainMetrics.Keys).Distinct());
        var plot = new ScottPlot.Multiplot();
        plot.AddPlots(quantities.Count);
        plot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        double[] xs = epochs.Select(e => (double)e.Epoch).ToArray();
        for (int q = 0; q < quantities.Count; q++)
        {
            var p = plot.GetPlot(q);
            string name = quantities[q];
            double[] train = epochs.Select(e => name == "loss" ? e.TrainLoss : e.TrainMetrics.GetValueOrDefault(name, double.NaN)).ToArray();
            var st = p.Add.Scatter(xs, train);
            st.LegendText = "train " + name;
            if (epochs.Any(e => e.ValLoss is not null))
            {
                double[] val = epochs.Select(e => name == "loss" ? e.ValLoss ?? double.NaN : e.ValMetrics.GetValueOrDefault(name, double.NaN)).ToArray();
                var sv = p.Add.Scatter(xs, val);
                sv.LegendText = "validation " + name;
            }
            p.Title(name);
            p.XLabel("epoch");
            p.ShowLegend();
        }
        Save(() => plot.SavePng(path, 800, 360 * quantities.Count), path);
    }

    /// <summary>A confusion matrix as a heat map with counts, classes labelled.</summary>
    public static void ConfusionMatrixPng(string path, ConfusionMatrix m, IReadOnlyList<string>? classNames = null)
    {
        int n = m.Classes;
        var data = new double[n, n];
        for (int t = 0; t < n; t++) for (int p = 0; p < n; p++) data[n - 1 - t, p] = m.Counts[t, p];
        var plot = new ScottPlot.Plot();
        var hm = plot.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.Extent = new ScottPlot.CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        double max = data.Cast<double>().DefaultIfEmpty(0).Max();
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
            {
                var txt = plot.Add.Text(m.Counts[t, p].ToString(), p, n - 1 - t);
                txt.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                txt.LabelFontColor = m.Counts[t, p] > max / 2 ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
                txt.LabelFontSize = n > 12 ? 9 : 12;
            }
        var names = classNames ?? Enumerable.Range(0, n).Select(i => i.ToString()).ToList();
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), names.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), names.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title($"confusion matrix (accuracy {m.Accuracy():P2})");
        Save(() => plot.SavePng(path, 760, 700), path);
    }

    private static void Save(Action save, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        save();
    }
}
