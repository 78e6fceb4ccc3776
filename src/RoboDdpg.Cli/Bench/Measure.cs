using System.Diagnostics;

namespace RoboDdpg.Cli.Bench;

/// <summary>Repeated timing of one operation; percentiles over individual calls (robust to a noisy VM).</summary>
internal static class Measure
{
    /// <summary>Runs <paramref name="warmup"/> untimed calls, then times calls until <paramref name="budget"/> or <paramref name="maxCalls"/>.</summary>
    public static double[] Nanoseconds(Action operation, int warmup, TimeSpan budget, int maxCalls = 1_000_000, int minCalls = 5)
    {
        for (var i = 0; i < warmup; i++) operation();
        var samples = new List<double>(Math.Min(maxCalls, 100_000));
        var total = Stopwatch.StartNew();
        while (samples.Count < maxCalls && (total.Elapsed < budget || samples.Count < minCalls))
        {
            var start = Stopwatch.GetTimestamp();
            operation();
            samples.Add(Stopwatch.GetElapsedTime(start).Ticks * 100.0); // 1 tick = 100 ns
        }
        var result = samples.ToArray();
        Array.Sort(result);
        return result;
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
