namespace OnnxKit.Training.Tuning;

/// <summary>A study's plots (ScottPlot PNGs): the optimisation history and each parameter against the objective.</summary>
public static class TunePlots
{
    /// <summary>Each finished trial's value by trial number (complete and pruned apart) and the best complete value so far.</summary>
    public static void History(string path, IReadOnlyList<TrialRecord> trials, string metric)
    {
        var plot = new ScottPlot.Plot();
        AddPoints(plot, trials.Where(t => t.State == TrialState.Complete && t.Value is not null).ToList(), t => t.Number, "complete", ScottPlot.Colors.Blue);
        AddPoints(plot, trials.Where(t => t.State == TrialState.Pruned && t.Value is not null).ToList(), t => t.Number, "pruned", ScottPlot.Colors.Gray);
        var complete = trials.Where(t => t.State == TrialState.Complete && t.Value is not null).OrderBy(t => t.Number).ToList();
        if (complete.Count > 0)
        {
            double best = double.NegativeInfinity;
            var ys = complete.Select(t => best = Math.Max(best, t.Value!.Value)).ToArray();
            var line = plot.Add.ScatterLine(complete.Select(t => (double)t.Number).ToArray(), ys);
            line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
            line.LegendText = "best so far";
            line.Color = ScottPlot.Colors.Red;
        }
        // Whole trial numbers only, as the learning curves tick whole epochs.
        if (trials.Count is > 0 and <= 30)
        {
            double[] ticks = trials.Select(t => (double)t.Number).Order().ToArray();
            plot.Axes.Bottom.SetTicks(ticks, ticks.Select(x => x.ToString("0", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
        plot.Title("optimisation history");
        plot.XLabel("trial");
        plot.YLabel("validation " + metric);
        plot.ShowLegend();
        Save(plot, path, 900, 560);
    }

    /// <summary>One PNG per parameter: its value against the objective for every finished trial (log axis for log-scale parameters).</summary>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> Parameters(string folder, SearchSpace space, IReadOnlyList<TrialRecord> trials, string metric)
    {
        var written = new List<string>();
        foreach (var p in space.Parameters)
        {
            var plot = new ScottPlot.Plot();
            bool log = p is FloatParameter { Log: true } or IntParameter { Log: true };
            var cat = p as CategoricalParameter;
            double X(TrialRecord t)
            {
                object v = t.Parameters![p.Name];
                if (cat is not null) return cat.Choices.ToList().IndexOf((string)v);
                return log ? Math.Log10((double)v) : (double)v;
            }
            bool Has(TrialRecord t) => t.Parameters is not null && t.Parameters.ContainsKey(p.Name) && t.Value is not null;
            AddPoints(plot, trials.Where(t => t.State == TrialState.Complete && Has(t)).ToList(), X, "complete", ScottPlot.Colors.Blue);
            AddPoints(plot, trials.Where(t => t.State == TrialState.Pruned && Has(t)).ToList(), X, "pruned", ScottPlot.Colors.Gray);
            if (cat is not null) plot.Axes.Bottom.SetTicks(Enumerable.Range(0, cat.Choices.Count).Select(i => (double)i).ToArray(), cat.Choices.ToArray());
            plot.Title($"{p.Name} against validation {metric}");
            plot.XLabel(log ? $"log10({p.Name})" : p.Name);
            plot.YLabel("validation " + metric);
            plot.ShowLegend();
            string file = Path.Combine(folder, $"param_{p.Name}.png");
            Save(plot, file, 700, 480);
            written.Add(file);
        }
        return written;
    }

    private static void AddPoints(ScottPlot.Plot plot, IReadOnlyList<TrialRecord> trials, Func<TrialRecord, double> x, string label, ScottPlot.Color color)
    {
        if (trials.Count == 0) return;
        var s = plot.Add.ScatterPoints(trials.Select(x).ToArray(), trials.Select(t => t.Value!.Value).ToArray());
        s.LegendText = label;
        s.Color = color;
        s.MarkerSize = 7;
    }

    private static void Save(ScottPlot.Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
    }
}
