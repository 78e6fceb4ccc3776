using System.Runtime;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Timing;

public sealed class WaitersAndOptionsTests
{
    [Fact]
    public void Monotonic_clock_moves_forward_with_real_time()
    {
        var clock = MonotonicClock.Instance;
        var a = clock.NowNanoseconds;
        Thread.Sleep(20);
        var b = clock.NowNanoseconds;
        Assert.True(b - a >= 10_000_000, $"only {b - a} ns passed during a 20 ms sleep");
    }

    [Theory]
    [InlineData(WaitStrategy.Sleep)]
    [InlineData(WaitStrategy.SleepThenSpin)]
    [InlineData(WaitStrategy.Spin)]
    public void Waiters_never_return_before_the_deadline(WaitStrategy strategy)
    {
        var clock = MonotonicClock.Instance;
        var waiter = DeadlineWaiter.Create(strategy, clock, TimeSpan.FromMicroseconds(300));
        for (var i = 0; i < 5; i++)
        {
            var deadline = clock.NowNanoseconds + 2_000_000;
            waiter.WaitUntil(deadline);
            Assert.True(clock.NowNanoseconds >= deadline);
        }
        waiter.WaitUntil(clock.NowNanoseconds - 1_000_000_000); // already past: returns at once
    }

    [Fact]
    public void Default_options_are_sleep_then_spin_normal_scheduling_sustained_low_latency()
    {
        var options = new RealtimeLoopOptions { RateHz = 1000 };
        options.Validate();
        Assert.Equal(1_000_000, options.PeriodNanoseconds);
        Assert.Equal(WaitStrategy.SleepThenSpin, options.WaitStrategy);
        Assert.Equal(RealtimeLoopOptions.DefaultSpinMargin, options.SpinMargin);
        Assert.Equal(SchedulingPolicy.Normal, options.Scheduling);
        Assert.Equal(GCLatencyMode.SustainedLowLatency, options.GcLatencyMode);
        Assert.Null(options.CpuAffinity);
        Assert.Equal(142_857_143, (options with { RateHz = 7 }).PeriodNanoseconds);
        (options with { RateHz = 10_000 }).Validate();
        (options with { RateHz = 0.5 }).Validate();
    }

    public static TheoryData<RealtimeLoopOptions, string> InvalidOptions()
    {
        var ok = new RealtimeLoopOptions { RateHz = 1000 };
        var fifo = ok with { Scheduling = SchedulingPolicy.Fifo };
        return new TheoryData<RealtimeLoopOptions, string>
        {
            { ok with { RateHz = 0 }, "rate must be in (0, 10000] Hz" },
            { ok with { RateHz = -5 }, "rate must be in" },
            { ok with { RateHz = double.NaN }, "rate must be in" },
            { ok with { RateHz = 10_001 }, "rate must be in" },
            { ok with { SpinMargin = TimeSpan.FromTicks(-1) }, "spin margin must not be negative" },
            { ok with { WarmupTicks = -1 }, "warm-up ticks must not be negative" },
            { ok with { GcLatencyMode = GCLatencyMode.NoGCRegion }, "NoGCRegion" },
            { ok with { CpuAffinity = [] }, "at least one CPU" },
            { ok with { CpuAffinity = [-1] }, "0..1023" },
            { ok with { WaitStrategy = (WaitStrategy)7 }, "unknown wait strategy" },
            { fifo with { Priority = 0 }, "priority must be in 1..99" },
            { fifo with { Priority = 100 }, "priority must be in 1..99" },
            { fifo with { WaitStrategy = WaitStrategy.Spin }, "RT throttling" },
            { fifo with { SpinMargin = TimeSpan.FromMicroseconds(501) }, "sleep at least half of each period" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_or_unsafe_options_are_refused_with_one_line(RealtimeLoopOptions options, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.ThrowsAny<ArgumentException>(() => new RealtimeLoop(new NoOpHandler(), options));
    }

    [Fact]
    public void Fifo_accepts_sleeping_strategies_within_half_a_period()
    {
        var fifo = new RealtimeLoopOptions { RateHz = 1000, Scheduling = SchedulingPolicy.Fifo };
        (fifo with { SpinMargin = TimeSpan.FromMicroseconds(500) }).Validate();
        (fifo with { WaitStrategy = WaitStrategy.Sleep, SpinMargin = TimeSpan.FromSeconds(1) }).Validate();
    }
}
