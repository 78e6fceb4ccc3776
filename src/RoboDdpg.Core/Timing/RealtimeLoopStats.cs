using System.Globalization;

namespace RoboDdpg.Core.Timing;

/// <summary>
/// A snapshot of a <see cref="RealtimeLoop"/>'s statistics. Everything except <see cref="TotalTicks"/> counts only
/// ticks after warm-up. Taken from another thread while the loop runs, fields may be mutually inconsistent by a tick.
/// </summary>
/// <param name="RateHz">Nominal rate.</param>
/// <param name="PeriodNanoseconds">Nominal period.</param>
/// <param name="TotalTicks">Handler calls including warm-up.</param>
/// <param name="MeasuredTicks">Handler calls after warm-up.</param>
/// <param name="Overruns">Ticks after which the clock was already past the next due time.</param>
/// <param name="MissedTicks">Grid slots skipped because of overruns.</param>
/// <param name="AchievedRateHz">RateHz · MeasuredTicks / (MeasuredTicks + MissedTicks): the rate the plant actually saw.</param>
/// <param name="Jitter">|actual start − scheduled start| per tick.</param>
/// <param name="Compute">Handler duration (end − start) per tick.</param>
/// <param name="AllocatedBytes">Bytes allocated on the loop thread since warm-up ended (loop and handler; the loop itself allocates none).</param>
/// <param name="GcCount">Garbage collections (any generation) since warm-up ended, process-wide.</param>
/// <param name="GcPauseMaxMilliseconds">Longest GC pause time that fell into one tick interval (pauses in the same interval add up).</param>
/// <param name="GcPauseTotalMilliseconds">Total GC pause time since warm-up ended.</param>
/// <param name="SlackCollections">Requested gen-0 collections the loop ran in the slack after a tick (<see cref="RealtimeLoop.RequestCollection"/>).</param>
public sealed record RealtimeLoopStats(
    double RateHz,
    long PeriodNanoseconds,
    long TotalTicks,
    long MeasuredTicks,
    long Overruns,
    long MissedTicks,
    double AchievedRateHz,
    LatencySummary Jitter,
    LatencySummary Compute,
    long AllocatedBytes,
    int GcCount,
    double GcPauseMaxMilliseconds,
    double GcPauseTotalMilliseconds,
    long SlackCollections = 0)
{
    public double AllocatedBytesPerTick => MeasuredTicks == 0 ? 0 : (double)AllocatedBytes / MeasuredTicks;

    /// <summary>One human-readable line, times in µs.</summary>
    public string ToSummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"{RateHz:0.###} Hz: {MeasuredTicks} ticks, achieved {AchievedRateHz:0.###} Hz, overruns {Overruns} (missed {MissedTicks}), " +
        $"jitter µs p50 {Us(Jitter.P50Nanoseconds)} p99 {Us(Jitter.P99Nanoseconds)} p99.9 {Us(Jitter.P999Nanoseconds)} max {Us(Jitter.MaxNanoseconds)} mean {Jitter.MeanNanoseconds / 1000:0.0}, " +
        $"compute µs p50 {Us(Compute.P50Nanoseconds)} p99 {Us(Compute.P99Nanoseconds)} max {Us(Compute.MaxNanoseconds)}, " +
        $"alloc {AllocatedBytes} B, GCs {GcCount} (max pause {GcPauseMaxMilliseconds:0.###} ms)");

    private static string Us(long nanoseconds) => (nanoseconds / 1000.0).ToString("0.#", CultureInfo.InvariantCulture);
}
