using System.Globalization;

namespace RoboDdpg.Cli.Bench;

/// <summary>
/// Time the hypervisor ran other guests on this machine's virtual CPUs (the <c>steal</c> column of /proc/stat, all
/// CPUs summed). A loop stalled while steal grew was not stalled by anything in this machine; benches report it next
/// to each loop run so a noisy host is told apart from a slow loop. Null where there is no /proc/stat.
/// </summary>
internal static class CpuSteal
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Steal so far in milliseconds, or null.</summary>
    public static double? TotalMilliseconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal …
            return fields is { Length: > 8 } && fields[0] == "cpu" && long.TryParse(fields[8], NumberStyles.None, CultureInfo.InvariantCulture, out var steal)
                ? steal * 1000 / TicksPerSecond
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Runs <paramref name="measure"/> and returns its result with the steal that accrued meanwhile (ms, or null).</summary>
    public static (T Result, double? StealMs) During<T>(Func<T> measure)
    {
        var before = TotalMilliseconds();
        var result = measure();
        var after = TotalMilliseconds();
        return (result, before is { } b && after is { } a ? Math.Round(a - b) : null);
    }
}
