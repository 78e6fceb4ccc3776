namespace RoboDdpg.Core.Timing;

/// <summary>
/// A clock for deterministic tests: time moves only when <see cref="Advance"/> or <see cref="AdvanceTo"/> is
/// called (by the test, by a handler simulating work, or by a <see cref="FakeWaiter"/> "sleeping").
/// Reads and writes are atomic, so another thread may read it.
/// </summary>
public sealed class FakeClock : IMonotonicClock
{
    private long _now;

    public FakeClock(long startNanoseconds = 0)
    {
        _now = startNanoseconds;
    }

    public long NowNanoseconds => Volatile.Read(ref _now);

    /// <summary>Moves time forward by <paramref name="nanoseconds"/> (≥ 0).</summary>
    public void Advance(long nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nanoseconds);
        Interlocked.Add(ref _now, nanoseconds);
    }

    public void Advance(TimeSpan duration) => Advance(duration.Ticks * 100);

    /// <summary>Moves time forward to <paramref name="nanoseconds"/>; does nothing if that is already past (a monotonic clock never goes back).</summary>
    public void AdvanceTo(long nanoseconds)
    {
        long current;
        do
        {
            current = Volatile.Read(ref _now);
            if (nanoseconds <= current) return;
        } while (Interlocked.CompareExchange(ref _now, nanoseconds, current) != current);
    }
}
