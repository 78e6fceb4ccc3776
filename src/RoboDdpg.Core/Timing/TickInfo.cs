namespace RoboDdpg.Core.Timing;

/// <summary>
/// What the loop tells the handler about the current tick. All times are on the loop's monotonic clock in ns.
/// </summary>
/// <param name="Index">0-based count of handler calls (ticks actually run; skipped slots are not counted).</param>
/// <param name="ScheduledNanoseconds">When this tick was due: t0 + slot·period, on a fixed grid that never drifts.</param>
/// <param name="StartNanoseconds">When the loop actually started the tick (just before calling the handler).</param>
/// <param name="PeriodNanoseconds">The nominal period.</param>
/// <param name="MissedTicks">
/// Grid slots skipped just before this tick because the previous tick overran (0 normally). The plant kept the
/// last action for (MissedTicks + 1) periods.
/// </param>
public readonly record struct TickInfo(
    long Index, long ScheduledNanoseconds, long StartNanoseconds, long PeriodNanoseconds, long MissedTicks)
{
    /// <summary>Start − scheduled: how late the tick started (negative only if a waiter woke early).</summary>
    public long LatenessNanoseconds => StartNanoseconds - ScheduledNanoseconds;
}
