using OnnxKit.Training.Fit;
using OnnxKit.Training.Metrics;
using OnnxKit.IO;

namespace OnnxKit.Training.Reports;

/// <summary>Learning-curve and confusion-matrix PNGs (ScottPlot).</summary>
public static class Plots
{
    /// <summary>Loss per epoch (left axis) and each metric (right axis), training solid and validation dashed.</summary>
    public static void LearningCurves(string path, IReadOnlyList<EpochRecord> epochs)
    {
        var plot = new ScottPlot.Plot();
        double[] xs = epochs.Select(e => (double)e.Epoch).ToArray();
        var metrics = epochs.SelectMany(e => e.TrainMetrics.Keys).Distinct().ToList();
        void Series(double[] ys, string label, bool right, bool dashed)
        {
            var s = plot.Add.Scatter(xs, ys);
            s.LegendText = label;
            if (dashed) s.LinePattern = ScottPlot.LinePattern.Dashed;
            if (right) s.Axes.YAxis = plot.Axes.Right;
        }
        Series(epochs.Select(e => e.TrainLoss).ToArray(), "train loss", false, false);
        if (epochs.Any(e => e.ValLoss is not null)) Series(epochs.Select(e => e.ValLoss ?? double.NaN).ToArray(), "validation loss", false, true);
        foreach (var m in metrics)
        {
            Series(epochs.Select(e => e.TrainMetrics.GetValueOrDefault(m, double.NaN)).ToArray(), "train " + m, true, false);
            if (epochs.Any(e => e.ValMetrics.ContainsKey(m))) Series(epochs.Select(e => e.ValMetrics.GetValueOrDefault(m, double.NaN)).ToArray(), "validation " + m, true, true);
        }
        // Whole epochs only: fractional ticks (1.1, 1.2, …) suggest measurements that do not exist.
        if (xs.Length is > 0 and <= 30) plot.Axes.Bottom.SetTicks(xs, xs.Select(x => x.ToString("0", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Title("learning curves");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        if (metrics.Count > 0) plot.Axes.Right.Label.Text = string.Join(", ", metrics);
        plot.ShowLegend();
        AtomicFile.WriteVia(path, tmp => plot.SavePng(tmp, 900, 560));
    }

    /// <summary>A confusion matrix as a heat map with counts, classes labelled.</summary>
    public static void ConfusionMatrixPng(string path, ConfusionMatrix m, IReadOnlyList<string>? classNames = null)
    {
        int n = m.Classes;
        var data = new double[n, n];
        for (int t = 0; t < n; t++) for (int p = 0; p < n; p++) data[t, p] = m.Counts[t, p]; // row 0 is drawn at the top
        var plot = new ScottPlot.Plot();
        var hm = plot.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.Rectangle = new ScottPlot.CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5); // cell (t, p) centred on (p, n − 1 − t)
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
        // Room for the rotated class names under the matrix, so neither they nor the axis label are clipped.
        // (The axis names go in the title: ScottPlot places an x-axis label over rotated tick labels.)
        plot.Layout.Fixed(new ScottPlot.PixelPadding(110, 30, 110, 60));
        plot.Title($"confusion matrix, accuracy {m.Accuracy():P2}\nrows: true class · columns: predicted class");
        AtomicFile.WriteVia(path, tmp => plot.SavePng(tmp, 760, 700));
    }
}
