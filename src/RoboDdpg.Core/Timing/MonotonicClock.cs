using System.Diagnostics;

namespace RoboDdpg.Core.Timing;

/// <summary>
/// The machine's monotonic clock through <see cref="Stopwatch"/> timestamps (CLOCK_MONOTONIC on Linux,
/// QueryPerformanceCounter on Windows), converted to nanoseconds. Reading it does not allocate.
/// </summary>
public sealed class MonotonicClock : IMonotonicClock
{
    private static readonly long Frequency = Stopwatch.Frequency;

    // Linux reports 1 GHz, so timestamps already are nanoseconds; elsewhere convert without overflowing.
    private static readonly bool IsNanosecondTimestamp = Frequency == 1_000_000_000;

    public static MonotonicClock Instance { get; } = new();

    public long NowNanoseconds => ToNanoseconds(Stopwatch.GetTimestamp());

    private static long ToNanoseconds(long timestamp)
    {
        if (IsNanosecondTimestamp) return timestamp;
        var seconds = Math.DivRem(timestamp, Frequency, out var remainder);
        return seconds * 1_000_000_000 + remainder * 1_000_000_000 / Frequency;
    }
}
