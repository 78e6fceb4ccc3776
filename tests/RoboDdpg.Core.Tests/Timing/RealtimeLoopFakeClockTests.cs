using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Timing;

/// <summary>The loop's schedule, overrun policy, statistics and lifecycle on a fake clock: exact and deterministic.</summary>
public sealed class RealtimeLoopFakeClockTests
{
    private const long Ms = 1_000_000;
    private const long Us = 1_000;

    private static RealtimeLoopOptions Options(double rateHz, long warmup = 0) =>
        new() { RateHz = rateHz, WarmupTicks = warmup };

    [Fact]
    public void Ticks_start_on_the_grid_and_jitter_is_exactly_the_waiters_lateness()
    {
        var clock = new FakeClock(startNanoseconds: 5 * Ms);
        long[] lateness = [0, 3 * Us, 150 * Us, 7 * Us, 1 * Us];
        var waiter = new FakeWaiter(clock, i => lateness[i]);
        // Tick k computes for k·10 µs.
        var handler = new RecordingHandler(t => clock.Advance(t.Index * 10 * Us));
        var loop = new RealtimeLoop(handler, Options(1000), clock, waiter);

        loop.RunTicks(5);

        Assert.Equal(5, handler.Ticks.Count);
        for (var k = 0; k < 5; k++)
        {
            var tick = handler.Ticks[k];
            Assert.Equal(k, tick.Index);
            Assert.Equal(5 * Ms + k * Ms, tick.ScheduledNanoseconds);
            Assert.Equal(tick.ScheduledNanoseconds + lateness[k], tick.StartNanoseconds);
            Assert.Equal(lateness[k], tick.LatenessNanoseconds);
            Assert.Equal(1 * Ms, tick.PeriodNanoseconds);
            Assert.Equal(0, tick.MissedTicks);
        }

        var stats = loop.Stats;
        Assert.Equal(5, stats.TotalTicks);
        Assert.Equal(5, stats.MeasuredTicks);
        Assert.Equal(0, stats.Overruns);
        Assert.Equal(1000, stats.AchievedRateHz);
        // Jitter {0, 1, 3, 7, 150} µs; compute {0, 10, 20, 30, 40} µs.
        Assert.Equal(new LatencySummary(5, 32_200, 3 * Us, 150 * Us, 150 * Us, 150 * Us), stats.Jitter);
        Assert.Equal(new LatencySummary(5, 20 * Us, 20 * Us, 40 * Us, 40 * Us, 40 * Us), stats.Compute);

        var jitter = new LatencyHistogram();
        loop.CopyJitterHistogram(jitter);
        Assert.Equal(1, jitter.CountAt(150));
        var compute = new LatencyHistogram();
        loop.CopyComputeHistogram(compute);
        Assert.Equal(1, compute.CountAt(40));
    }

    [Fact]
    public void A_requested_collection_runs_once_after_a_tick_that_leaves_enough_slack()
    {
        var clock = new FakeClock();
        var waiter = new FakeWaiter(clock, _ => 0);
        RealtimeLoop? loop = null;
        var collectedBefore = new long[6];
        // 1 ms period; ticks 0–2 compute 700 µs (300 µs slack, below the 500 µs needed), ticks 3–5 100 µs.
        // The request is made during tick 1.
        var handler = new RecordingHandler(t =>
        {
            collectedBefore[t.Index] = loop!.Stats.SlackCollections;
            clock.Advance(t.Index < 3 ? 700 * Us : 100 * Us);
            if (t.Index == 1) loop.RequestCollection();
        });
        loop = new RealtimeLoop(handler, Options(1000) with { CollectionSlack = TimeSpan.FromMicroseconds(500) }, clock, waiter);
        var collections = GC.CollectionCount(0);

        loop.RunTicks(6);

        Assert.Equal([0L, 0, 0, 0, 1, 1], collectedBefore); // pending through ticks 1–2, run after tick 3, only once
        Assert.Equal(1, loop.Stats.SlackCollections);
        Assert.True(GC.CollectionCount(0) > collections);
        Assert.Equal(0, loop.Stats.Overruns);
        Assert.Equal(6, handler.Ticks.Count);
    }

    [Fact]
    public void An_early_wake_up_counts_as_absolute_jitter()
    {
        var clock = new FakeClock();
        var waiter = new FakeWaiter(clock, i => i == 1 ? -2 * Us : 0);
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options(1000), clock, waiter);

        loop.RunTicks(2);

        Assert.Equal(-2 * Us, handler.Ticks[1].LatenessNanoseconds);
        Assert.Equal(2 * Us, loop.Stats.Jitter.MaxNanoseconds);
    }

    [Theory]
    // Handler time in periods → overruns, skipped slots, slot of the next tick (the slow tick is slot 3).
    [InlineData(1.0, 0, 0, 4)]  // ends exactly at the next due time: on time, no overrun
    [InlineData(1.5, 1, 1, 5)]
    [InlineData(2.0, 1, 1, 5)]  // slot 4 has passed, slot 5 is due right now
    [InlineData(2.5, 1, 2, 6)]  // slots 4 and 5 skipped; resume on the grid at slot 6
    public void An_overrun_skips_the_passed_slots_and_resumes_on_the_grid(
        double periods, long overruns, long missed, long nextSlot)
    {
        const long period = 10 * Ms; // 100 Hz
        var clock = new FakeClock(startNanoseconds: 1000);
        var waiter = new FakeWaiter(clock);
        var handler = new RecordingHandler(t =>
        {
            if (t.Index == 3) clock.Advance((long)(periods * period));
        });
        var loop = new RealtimeLoop(handler, Options(100), clock, waiter);

        loop.RunTicks(8);

        var ticks = handler.Ticks;
        for (var k = 0; k <= 3; k++) Assert.Equal(1000 + k * period, ticks[k].ScheduledNanoseconds);
        for (var k = 4; k < 8; k++)
        {
            Assert.Equal(1000 + (nextSlot + k - 4) * period, ticks[k].ScheduledNanoseconds);
            Assert.Equal(ticks[k].ScheduledNanoseconds, ticks[k].StartNanoseconds); // no burst: on time, on the grid
            Assert.Equal(k == 4 ? missed : 0, ticks[k].MissedTicks);
        }
        var stats = loop.Stats;
        Assert.Equal(overruns, stats.Overruns);
        Assert.Equal(missed, stats.MissedTicks);
        Assert.Equal(100.0 * 8 / (8 + missed), stats.AchievedRateHz, 9);
        Assert.Equal(0, stats.Jitter.MaxNanoseconds);
        Assert.Equal((long)(periods * period), stats.Compute.MaxNanoseconds);
    }

    [Fact]
    public void A_late_wake_up_past_the_next_due_time_is_an_overrun_too()
    {
        var clock = new FakeClock();
        var waiter = new FakeWaiter(clock, i => i == 2 ? 1_300 * Us : 0); // a 1.3 ms stall while sleeping, at 1 kHz
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options(1000), clock, waiter);

        loop.RunTicks(4);

        Assert.Equal(1_300 * Us, handler.Ticks[2].LatenessNanoseconds);
        Assert.Equal(4 * Ms, handler.Ticks[3].ScheduledNanoseconds); // slot 3 skipped
        Assert.Equal(1, handler.Ticks[3].MissedTicks);
        Assert.Equal(1, loop.Stats.Overruns);
    }

    [Fact]
    public void No_drift_over_ten_thousand_ticks_with_random_jitter_and_compute()
    {
        const int n = 10_000;
        const long period = 1 * Ms;
        var clock = new FakeClock(startNanoseconds: 123_456_789);
        var random = new System.Random(42);
        var waiter = new FakeWaiter(clock, _ => random.NextInt64(0, 900 * Us));
        var handler = new RecordingHandler(_ => clock.Advance(random.NextInt64(0, 90 * Us)));
        var loop = new RealtimeLoop(handler, Options(1000), clock, waiter);

        loop.RunTicks(n);

        Assert.Equal(n, handler.Ticks.Count);
        for (var k = 0; k < n; k++) Assert.Equal(123_456_789 + k * period, handler.Ticks[k].ScheduledNanoseconds);
        Assert.True(clock.NowNanoseconds < 123_456_789 + n * period);
        Assert.Equal(0, loop.Stats.Overruns);
        Assert.InRange(loop.Stats.Jitter.MaxNanoseconds, 0, 900 * Us);
    }

    [Fact]
    public void Period_of_a_non_integer_rate_is_rounded_once_and_the_grid_stays_exact()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options(3), clock, new FakeWaiter(clock));

        loop.RunTicks(1000);

        Assert.Equal(333_333_333, loop.PeriodNanoseconds);
        Assert.Equal(999 * 333_333_333L, handler.Ticks[^1].ScheduledNanoseconds);
    }

    [Fact]
    public void Statistics_count_only_after_warm_up_but_missed_ticks_are_always_reported()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler(t =>
        {
            if (t.Index is 1 or 5) clock.Advance(1500 * Us); // overrun by half a period at 1 kHz
        });
        var loop = new RealtimeLoop(handler, Options(1000, warmup: 3), clock, new FakeWaiter(clock, _ => 2 * Us));

        loop.RunTicks(10);

        Assert.Equal(1, handler.Ticks[2].MissedTicks); // warm-up overrun, still reported to the handler
        Assert.Equal(1, handler.Ticks[6].MissedTicks);
        var stats = loop.Stats;
        Assert.Equal(10, stats.TotalTicks);
        Assert.Equal(7, stats.MeasuredTicks);
        Assert.Equal(7, stats.Jitter.Count);
        Assert.Equal(1, stats.Overruns);
        Assert.Equal(1, stats.MissedTicks);
    }

    [Fact]
    public void The_loop_allocates_nothing_per_tick_after_warm_up()
    {
        const int warmup = 1000, measured = 100_000;
        var clock = new FakeClock();
        long allocatedAtWarmupEnd = -1, allocatedAtLastTick = -1;
        var handler = new AllocationProbe(warmup, warmup + measured - 1);
        var loop = new RealtimeLoop(handler, Options(1000, warmup), clock, new FakeWaiter(clock, i => i % 7 * Us));

        loop.RunTicks(warmup + measured);

        allocatedAtWarmupEnd = handler.AtFirst;
        allocatedAtLastTick = handler.AtLast;
        Assert.Equal(0, allocatedAtLastTick - allocatedAtWarmupEnd); // independent of the loop's own accounting
        var stats = loop.Stats;
        Assert.Equal(measured, stats.MeasuredTicks);
        Assert.Equal(0, stats.AllocatedBytes);
        Assert.Equal(0, stats.AllocatedBytesPerTick);
    }

    [Fact]
    public void An_allocating_handler_is_reported()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler(_ => GC.KeepAlive(new byte[1000]));
        var loop = new RealtimeLoop(handler, Options(1000, warmup: 10), clock, new FakeWaiter(clock));

        loop.RunTicks(110);

        Assert.InRange(loop.Stats.AllocatedBytes, 100 * 1000, long.MaxValue);
    }

    [Fact]
    public void A_garbage_collection_during_the_run_is_counted_with_its_pause()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler(t =>
        {
            if (t.Index == 20) GC.Collect();
        });
        var loop = new RealtimeLoop(handler, Options(1000, warmup: 10), clock, new FakeWaiter(clock));

        loop.RunTicks(30);

        var stats = loop.Stats;
        Assert.InRange(stats.GcCount, 1, int.MaxValue);
        Assert.True(stats.GcPauseMaxMilliseconds > 0);
        Assert.InRange(stats.GcPauseTotalMilliseconds, stats.GcPauseMaxMilliseconds, double.MaxValue);
    }

    [Fact]
    public void OnStart_ticks_and_OnStop_run_in_order_on_the_calling_thread()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options(50), clock, new FakeWaiter(clock));

        loop.RunTicks(3);

        Assert.Equal(["start", "tick", "tick", "tick", "stop"], handler.Events);
        Assert.Equal(Environment.CurrentManagedThreadId, handler.TickThreadId);
        Assert.False(loop.IsRunning);
        Assert.Null(loop.Fault);
    }

    [Fact]
    public void A_handler_exception_stops_the_loop_runs_OnStop_and_surfaces()
    {
        var clock = new FakeClock();
        var boom = new InvalidOperationException("sensor read failed");
        RealtimeLoop? loop = null;
        var handler = new RecordingHandler(t =>
        {
            if (t.Index == 7) throw boom;
        });
        loop = new RealtimeLoop(handler, Options(100), clock, new FakeWaiter(clock));

        var thrown = Assert.Throws<RealtimeLoopFaultException>(() => loop.RunTicks(100));

        Assert.Same(boom, thrown.InnerException);
        Assert.Same(boom, loop.Fault);
        Assert.Equal("tick handler failed at tick 7: sensor read failed", thrown.Message);
        Assert.Equal(8, handler.Ticks.Count); // ticks 0..7, none after the fault
        Assert.Equal("stop", handler.Events[^1]); // OnStop ran: the safe action gets written
        Assert.Equal(7, loop.Stats.TotalTicks);
        Assert.Throws<RealtimeLoopFaultException>(loop.Stop); // Stop reports it as well
        loop.Dispose(); // Dispose never throws
    }

    [Fact]
    public void A_failing_OnStop_after_a_failing_tick_keeps_both_exceptions()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler(_ => throw new InvalidOperationException("tick"))
        {
            OnStopAction = () => throw new IOException("safe action"),
        };
        var loop = new RealtimeLoop(handler, Options(100), clock, new FakeWaiter(clock));

        var thrown = Assert.Throws<RealtimeLoopFaultException>(() => loop.RunTicks(5));

        var both = Assert.IsType<AggregateException>(thrown.InnerException);
        Assert.Equal(2, both.InnerExceptions.Count);
        Assert.Equal("tick handler failed at tick 0: tick; then tick handler OnStop failed: safe action", thrown.Message);
    }

    [Fact]
    public void A_failing_OnStart_runs_no_tick_and_no_OnStop()
    {
        var clock = new FakeClock();
        var handler = new RecordingHandler { OnStartAction = () => throw new InvalidOperationException("no bus") };
        var loop = new RealtimeLoop(handler, Options(100), clock, new FakeWaiter(clock));

        var thrown = Assert.Throws<RealtimeLoopFaultException>(() => loop.RunTicks(5));

        Assert.Equal("tick handler OnStart failed: no bus", thrown.Message);
        Assert.Equal(["start"], handler.Events);
    }

    [Fact]
    public void Stop_from_the_handler_ends_the_run_after_the_current_tick()
    {
        var clock = new FakeClock();
        RealtimeLoop? loop = null;
        var handler = new RecordingHandler(t =>
        {
            if (t.Index == 4) loop!.Stop();
        });
        loop = new RealtimeLoop(handler, Options(100), clock, new FakeWaiter(clock));

        loop.RunTicks(1000);

        Assert.Equal(5, handler.Ticks.Count);
        Assert.Equal("stop", handler.Events[^1]);
        Assert.True(loop.StopRequested);
        Assert.Null(loop.Fault);
    }

    [Fact]
    public void A_loop_runs_once()
    {
        var clock = new FakeClock();
        var loop = new RealtimeLoop(new NoOpHandler(), Options(100), clock, new FakeWaiter(clock));
        loop.RunTicks(2);
        Assert.Throws<InvalidOperationException>(() => loop.RunTicks(2));
        Assert.Throws<InvalidOperationException>(loop.Start);

        var stopped = new RealtimeLoop(new NoOpHandler(), Options(100), clock, new FakeWaiter(clock));
        stopped.Stop(); // before it ever ran
        Assert.Throws<InvalidOperationException>(stopped.Start);
    }

    [Fact]
    public void A_fake_clock_without_a_fake_waiter_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new RealtimeLoop(new NoOpHandler(), Options(100), new FakeClock()));
        Assert.Contains("FakeWaiter", error.Message);
    }

    [Fact]
    public void Fake_clock_and_waiter_move_time_only_forward()
    {
        var clock = new FakeClock(100);
        clock.Advance(50);
        Assert.Equal(150, clock.NowNanoseconds);
        clock.AdvanceTo(120); // in the past: ignored
        Assert.Equal(150, clock.NowNanoseconds);
        clock.Advance(TimeSpan.FromMicroseconds(2));
        Assert.Equal(2150, clock.NowNanoseconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(-1));

        var waiter = new FakeWaiter(clock, i => i * 10);
        waiter.WaitUntil(3000);            // wait 0: on time
        Assert.Equal(3000, clock.NowNanoseconds);
        waiter.WaitUntil(2000);            // wait 1: deadline + 10 is in the past, nothing happens
        Assert.Equal(3000, clock.NowNanoseconds);
        waiter.WaitUntil(4000);            // wait 2: 20 ns late
        Assert.Equal(4020, clock.NowNanoseconds);
        Assert.Equal(3, waiter.Waits);
    }

    /// <summary>Samples the thread's allocation counter at two tick indices, without allocating itself.</summary>
    private sealed class AllocationProbe(long first, long last) : IRealtimeTickHandler
    {
        public long AtFirst { get; private set; } = -1;
        public long AtLast { get; private set; } = -1;

        public void OnTick(in TickInfo tick)
        {
            if (tick.Index == first) AtFirst = GC.GetAllocatedBytesForCurrentThread();
            else if (tick.Index == last) AtLast = GC.GetAllocatedBytesForCurrentThread();
        }
    }
}
