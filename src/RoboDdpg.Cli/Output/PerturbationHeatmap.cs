using System.Globalization;
using RoboDdpg.Core.IO;
using RoboDdpg.Sim.Perturbation;

namespace RoboDdpg.Cli.Output;

/// <summary>
/// The mean return of a robustness evaluation over two perturbation axes as a heat map (PNG). Plants that differ only in
/// the other axes fall into the same cell, whose value is their mean (said in the title); with random samples each
/// axis is cut into bins.
/// </summary>
internal static class PerturbationHeatmap
{
    public const string FileName = "perturbation-heatmap.png";

    /// <summary>One axis of the map: the axis index in the spec and the cell centres (grid values or bin centres).</summary>
    private sealed record MapAxis(int Index, PerturbationAxis Axis, double[] Centers, bool Binned)
    {
        public int CellOf(double value)
        {
            if (!Binned) return Array.IndexOf(Centers, value);
            var width = (Axis.Max - Axis.Min) / Centers.Length;
            return Math.Clamp((int)Math.Floor((value - Axis.Min) / width), 0, Centers.Length - 1);
        }
    }

    /// <param name="x">Spec index of the horizontal axis.</param>
    /// <param name="y">Spec index of the vertical axis, or null for a single row.</param>
    /// <param name="bins">Cells per axis for random samples (grid values otherwise).</param>
    public static string Save(string path, RobustnessReport report, string environment, int x, int? y, bool sampled, int bins)
    {
        var spec = report.Spec;
        var xAxis = MakeAxis(spec, x, sampled, bins);
        var yAxis = y is { } yi ? MakeAxis(spec, yi, sampled, bins) : null;
        var rows = yAxis?.Centers.Length ?? 1;
        var columns = xAxis.Centers.Length;
        var sums = new double[rows, columns];
        var counts = new int[rows, columns];
        foreach (var plant in report.Plants)
        {
            var column = xAxis.CellOf(plant.Plant.Values[xAxis.Index]);
            var row = yAxis is null ? 0 : yAxis.CellOf(plant.Plant.Values[yAxis.Index]);
            sums[row, column] += plant.Result.Mean;
            counts[row, column]++;
        }
        var means = new double[rows, columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                means[r, c] = counts[r, c] > 0 ? sums[r, c] / counts[r, c] : double.NaN;

        var plot = new ScottPlot.Plot();
        var map = plot.Add.Heatmap(means);
        map.FlipVertically = true; // row 0 (the lowest value) at the bottom, as on a y axis
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        var bar = plot.Add.ColorBar(map);
        bar.Label = "mean return";
        var present = means.Cast<double>().Where(double.IsFinite).ToArray();
        double low = present.Min(), high = present.Max();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                if (counts[r, c] == 0) continue;
                var text = plot.Add.Text(means[r, c].ToString("F1", CultureInfo.InvariantCulture), c, r);
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                // Viridis runs from dark blue to yellow: dark text on the bright upper part, white on the rest.
                var bright = high > low && (means[r, c] - low) / (high - low) > 0.6;
                text.LabelFontColor = bright ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
                text.LabelFontSize = 14;
            }
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, columns).Select(i => (double)i).ToArray(), xAxis.Centers.Select(v => TickLabel(xAxis, v)).ToArray());
        plot.XLabel(AxisTitle(xAxis.Axis, sampled));
        if (yAxis is not null)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, rows).Select(i => (double)i).ToArray(), yAxis.Centers.Select(v => TickLabel(yAxis, v)).ToArray());
            plot.YLabel(AxisTitle(yAxis.Axis, sampled));
        }
        else
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0.0], [""]);
        }

        var shown = new HashSet<int> { x };
        if (y is { } shownY) shown.Add(shownY);
        var others = spec.Axes.Where((a, i) => !shown.Contains(i) && a.IsRange).Select(a => a.Name).ToArray();
        var nominal = report.NominalResult.Mean.ToString("F1", CultureInfo.InvariantCulture);
        var how = (sampled, others.Length > 0) switch
        {
            (false, false) => "each cell: one plant",
            (false, true) => $"each cell: mean over {string.Join(", ", others)}",
            (true, false) => "each cell: mean of the random plants in its bin",
            (true, true) => $"each cell: mean of the random plants in its bin, over {string.Join(", ", others)}",
        };
        plot.Title($"{environment}: mean return (nominal {nominal})\n{how}");
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);

        var bytes = plot.GetImageBytes(Math.Max(700, 140 * columns + 260), Math.Max(450, 110 * rows + 200), ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
        return path;
    }

    private static MapAxis MakeAxis(PerturbationSpec spec, int index, bool sampled, int bins)
    {
        var axis = spec.Axes[index];
        if (!sampled || axis.IsLatency) return new MapAxis(index, axis, axis.GridValues(bins), Binned: false);
        var width = (axis.Max - axis.Min) / bins;
        return new MapAxis(index, axis, Enumerable.Range(0, bins).Select(b => axis.Min + (b + 0.5) * width).ToArray(), Binned: true);
    }

    private static string TickLabel(MapAxis axis, double value) => axis.Axis.Label(value);

    private static string AxisTitle(PerturbationAxis axis, bool sampled) => axis.IsLatency
        ? "latency: ticks added"
        : $"{axis.Name} factor{(sampled ? " (bin centres)" : "")}";
}
