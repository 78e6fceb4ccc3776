using RoboDdpg.Core.IO;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Cli.Output;

/// <summary>
/// Timing histograms of a control-loop run: CSV (all non-empty bins) and a bar plot of start jitter and compute time.
/// The robot build (<c>ROBOT</c>) writes the CSV only: no SkiaSharp native library to carry onto the board.
/// </summary>
internal static class TimingPlot
{
    public const string CsvFileName = "timing.csv";
    public const string PngFileName = "timing.png";

#if ROBOT
    public static IReadOnlyList<string> FileNames { get; } = [CsvFileName];
#else
    public static IReadOnlyList<string> FileNames { get; } = [CsvFileName, PngFileName];
#endif

    /// <returns>The names of the files written (<see cref="FileNames"/>).</returns>
    public static IReadOnlyList<string> Save(string directory, LatencyHistogram jitter, LatencyHistogram compute, double rateHz)
    {
        AtomicFile.Write(Path.Combine(directory, CsvFileName), stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.WriteLine("series,bin_low_us,bin_high_us,count");
            Write(writer, "jitter", jitter);
            Write(writer, "compute", compute);
        });
#if !ROBOT

        var plot = new ScottPlot.Plot();
        AddSeries(plot, jitter, "start jitter |actual − scheduled|", ScottPlot.Colors.SteelBlue);
        AddSeries(plot, compute, "compute time per tick", ScottPlot.Colors.OrangeRed);
        plot.Title($"control loop at {rateHz:0.#} Hz: {jitter.Count} ticks, jitter p99 {jitter.Percentile(99) / 1000.0:0.#} µs, max {jitter.Max / 1000.0:0.#} µs");
        plot.XLabel("microseconds");
        plot.YLabel("ticks");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        var bytes = plot.GetImageBytes(900, 540, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(Path.Combine(directory, PngFileName), s => s.Write(bytes));
#endif
        return FileNames;
    }

    private static void Write(StreamWriter writer, string series, LatencyHistogram histogram)
    {
        for (var bin = 0; bin < LatencyHistogram.BinCount; bin++)
        {
            var count = histogram.CountAt(bin);
            if (count > 0)
                writer.WriteLine($"{series},{LatencyHistogram.BinLowMicroseconds(bin)},{LatencyHistogram.BinHighMicroseconds(bin)},{count}");
        }
    }

#if !ROBOT
    // Bars up to the 99.9th percentile (the long tail is in the title and the CSV), one bar per histogram bin.
    private static void AddSeries(ScottPlot.Plot plot, LatencyHistogram histogram, string label, ScottPlot.Color color)
    {
        if (histogram.Count == 0) return;
        var limit = Math.Max(histogram.Percentile(99.9) / 1000, 1);
        var bars = new List<ScottPlot.Bar>();
        for (var bin = 0; bin < LatencyHistogram.BinCount && LatencyHistogram.BinLowMicroseconds(bin) <= limit; bin++)
        {
            var count = histogram.CountAt(bin);
            if (count == 0) continue;
            double low = LatencyHistogram.BinLowMicroseconds(bin), high = LatencyHistogram.BinHighMicroseconds(bin);
            bars.Add(new ScottPlot.Bar { Position = (low + high) / 2, Value = count, Size = Math.Max(high - low, 1) * 0.9, FillColor = color.WithAlpha(0.8), LineWidth = 0 });
        }
        var series = plot.Add.Bars(bars);
        series.LegendText = label;
    }
#endif
}
