namespace RoboDdpg.Core.Timing;

/// <summary>
/// A waiter for <see cref="FakeClock"/> tests: "waiting" advances fake time to the deadline, plus an optional
/// lateness per wait, so jitter is exactly what the test chose. The loop waits once per tick, so the wait index
/// passed to <c>lateness</c> is the tick index. A negative lateness wakes early (never before the current time).
/// </summary>
public sealed class FakeWaiter : IDeadlineWaiter
{
    private readonly FakeClock _clock;
    private readonly Func<long, long>? _lateness;

    /// <param name="clock">The fake clock to advance.</param>
    /// <param name="lateness">Nanoseconds to wake after the deadline, given the 0-based wait index; null wakes exactly on time.</param>
    public FakeWaiter(FakeClock clock, Func<long, long>? lateness = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _lateness = lateness;
    }

    /// <summary>Number of waits so far.</summary>
    public long Waits { get; private set; }

    public void WaitUntil(long deadlineNanoseconds)
    {
        var late = _lateness?.Invoke(Waits) ?? 0;
        Waits++;
        _clock.AdvanceTo(deadlineNanoseconds + late);
    }
}
