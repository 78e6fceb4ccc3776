namespace RoboDdpg.Core.Timing;

/// <summary>Creates the waiter for a <see cref="WaitStrategy"/> and holds the shared sleep and spin primitives.</summary>
public static class DeadlineWaiter
{
    public static IDeadlineWaiter Create(WaitStrategy strategy, IMonotonicClock clock, TimeSpan spinMargin)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return strategy switch
        {
            WaitStrategy.Sleep => new SleepWaiter(clock),
            WaitStrategy.SleepThenSpin => new SleepThenSpinWaiter(clock, spinMargin),
            WaitStrategy.Spin => new SpinWaiter(clock),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "unknown wait strategy"),
        };
    }

    /// <summary>
    /// Sleeps until <paramref name="deadlineNanoseconds"/> on <paramref name="clock"/>. On Linux this is one absolute
    /// CLOCK_MONOTONIC <c>clock_nanosleep</c> (sub-ms resolution, immune to drift from EINTR restarts); the deadline is
    /// moved into CLOCK_MONOTONIC's timebase through the remaining time, so any <see cref="IMonotonicClock"/> works.
    /// Elsewhere <see cref="Thread.Sleep(int)"/> with its 1 ms (Windows: up to 15.6 ms) resolution: whole milliseconds,
    /// rounded up when <paramref name="roundUp"/> (never early) or down (leave the rest to a spin).
    /// </summary>
    internal static void SleepUntil(IMonotonicClock clock, long deadlineNanoseconds, bool roundUp)
    {
        var remaining = deadlineNanoseconds - clock.NowNanoseconds;
        if (remaining <= 0) return;
        if (OperatingSystem.IsLinux())
        {
            if (LinuxNative.ClockGetTime(LinuxNative.ClockMonotonic, out var now) == 0)
            {
                var target = LinuxNative.TimeSpec.From(now.TotalNanoseconds + remaining);
                int rc;
                // EINTR (a signal, e.g. the runtime suspending threads) restarts against the same absolute target.
                while ((rc = LinuxNative.ClockNanosleep(LinuxNative.ClockMonotonic, LinuxNative.TimerAbsolute, in target, IntPtr.Zero)) == LinuxNative.EIntr) { }
                if (rc == 0) return;
            }
            // Any other failure (none is expected): fall through to the portable sleep.
        }
        var milliseconds = roundUp ? (remaining + 999_999) / 1_000_000 : remaining / 1_000_000;
        if (milliseconds > 0) Thread.Sleep((int)Math.Min(milliseconds, int.MaxValue));
    }

    /// <summary>Busy-waits on the clock; <see cref="Thread.SpinWait"/> issues a pause so a hyperthread sibling is not starved.</summary>
    internal static void SpinUntil(IMonotonicClock clock, long deadlineNanoseconds)
    {
        while (clock.NowNanoseconds < deadlineNanoseconds) Thread.SpinWait(1);
    }
}

/// <summary><see cref="WaitStrategy.Sleep"/>.</summary>
public sealed class SleepWaiter(IMonotonicClock clock) : IDeadlineWaiter
{
    private readonly IMonotonicClock _clock = clock ?? throw new ArgumentNullException(nameof(clock));

    public void WaitUntil(long deadlineNanoseconds) => DeadlineWaiter.SleepUntil(_clock, deadlineNanoseconds, roundUp: true);
}

/// <summary><see cref="WaitStrategy.Spin"/>.</summary>
public sealed class SpinWaiter(IMonotonicClock clock) : IDeadlineWaiter
{
    private readonly IMonotonicClock _clock = clock ?? throw new ArgumentNullException(nameof(clock));

    public void WaitUntil(long deadlineNanoseconds) => DeadlineWaiter.SpinUntil(_clock, deadlineNanoseconds);
}

/// <summary><see cref="WaitStrategy.SleepThenSpin"/>: sleep to <c>deadline − margin</c>, spin the rest.</summary>
public sealed class SleepThenSpinWaiter : IDeadlineWaiter
{
    private readonly IMonotonicClock _clock;

    public SleepThenSpinWaiter(IMonotonicClock clock, TimeSpan spinMargin)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(spinMargin, TimeSpan.Zero);
        _clock = clock;
        SpinMarginNanoseconds = spinMargin.Ticks * 100;
    }

    public long SpinMarginNanoseconds { get; }

    public void WaitUntil(long deadlineNanoseconds)
    {
        DeadlineWaiter.SleepUntil(_clock, deadlineNanoseconds - SpinMarginNanoseconds, roundUp: false);
        DeadlineWaiter.SpinUntil(_clock, deadlineNanoseconds);
    }
}
