using System.Runtime;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Timing;

/// <summary>
/// Short runs on a real thread and the real clock. They check lifecycle and reporting only, never wall-clock jitter
/// (the machine is shared and noisy). One class, so these never run in parallel with each other.
/// </summary>
public sealed class RealtimeLoopThreadTests
{
    private static RealtimeLoopOptions Options(double rateHz = 200) => new() { RateHz = rateHz, WarmupTicks = 5 };

    [Fact]
    public void Runs_on_a_named_foreground_thread_and_stops_cleanly()
    {
        var modeBefore = GCSettings.LatencyMode;
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options() with { ThreadName = "test-rt-loop" });

        loop.Start();
        Assert.True(loop.IsRunning);
        Thread.Sleep(200);
        loop.Stop();

        Assert.False(loop.IsRunning);
        Assert.Null(loop.Fault);
        var ticks = handler.TickCount;
        Assert.True(ticks > 0);
        Assert.Equal("test-rt-loop", handler.TickThreadName);
        Assert.NotEqual(Environment.CurrentManagedThreadId, handler.TickThreadId);
        Assert.Equal(handler.TickThreadId, handler.StartThreadId);
        Assert.Equal(handler.TickThreadId, handler.StopThreadId);
        Assert.Equal("stop", handler.Events[^1]);
        Thread.Sleep(30);
        Assert.Equal(ticks, handler.TickCount); // never called after Stop returned
        Assert.Equal(ticks, loop.Stats.TotalTicks);
        Assert.Equal(modeBefore, GCSettings.LatencyMode); // restored
        loop.Stop(); // idempotent
    }

    [Fact]
    public void Stop_waits_for_the_tick_in_progress()
    {
        using var inTick = new ManualResetEventSlim();
        var handler = new RecordingHandler(_ =>
        {
            inTick.Set();
            Thread.Sleep(50);
        });
        var loop = new RealtimeLoop(handler, Options(1000));

        loop.Start();
        Assert.True(inTick.Wait(TimeSpan.FromSeconds(10)));
        loop.Stop();

        var ticks = handler.TickCount;
        Assert.Equal("stop", handler.Events[^1]); // the tick in progress finished, then OnStop ran
        Thread.Sleep(60);
        Assert.Equal(ticks, handler.TickCount);
    }

    [Fact]
    public void A_handler_exception_ends_the_loop_and_is_rethrown_from_Join_and_Stop()
    {
        var handler = new RecordingHandler(t =>
        {
            if (t.Index == 3) throw new InvalidOperationException("actuator timeout");
        });
        var loop = new RealtimeLoop(handler, Options(500));

        loop.Start();
        var thrown = Assert.Throws<RealtimeLoopFaultException>(() => loop.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal("tick handler failed at tick 3: actuator timeout", thrown.Message);
        Assert.IsType<InvalidOperationException>(loop.Fault);
        Assert.False(loop.IsRunning);
        Assert.Equal("stop", handler.Events[^1]);
        Assert.Equal(handler.TickThreadId, handler.StopThreadId);
        Assert.Throws<RealtimeLoopFaultException>(loop.Stop);
    }

    [Fact]
    public void A_failing_OnStart_is_thrown_from_Start()
    {
        var handler = new RecordingHandler { OnStartAction = () => throw new InvalidOperationException("no bus") };
        var loop = new RealtimeLoop(handler, Options());

        var thrown = Assert.Throws<RealtimeLoopFaultException>(loop.Start);

        Assert.Equal("tick handler OnStart failed: no bus", thrown.Message);
        Assert.False(loop.IsRunning);
        Assert.Equal(0, handler.TickCount);
    }

    [Fact]
    public void Dispose_stops_a_running_loop()
    {
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options());
        loop.Start();
        loop.Dispose();
        Assert.False(loop.IsRunning);
        Assert.Equal("stop", handler.Events[^1]);
    }

    [Theory]
    [InlineData(WaitStrategy.Sleep)]
    [InlineData(WaitStrategy.SleepThenSpin)]
    [InlineData(WaitStrategy.Spin)]
    public void Every_wait_strategy_runs_and_the_loop_allocates_nothing_after_warm_up(WaitStrategy strategy)
    {
        var stats = RealtimeLoopBenchmark.MeasureFloor(
            Options(500) with { WaitStrategy = strategy, WarmupTicks = 10 }, TimeSpan.FromMilliseconds(150));

        Assert.True(stats.TotalTicks > 0);
        Assert.Equal(0, stats.AllocatedBytes);
        Assert.InRange(stats.MeasuredTicks, 0, stats.TotalTicks);
    }

    [Fact]
    public void Fifo_scheduling_either_applies_to_the_loop_thread_or_fails_with_one_line()
    {
        SchedulingPolicy? seen = null;
        var handler = new RecordingHandler { OnStartAction = () => seen = ThreadScheduling.GetCurrentPolicy() };
        var loop = new RealtimeLoop(handler, Options() with
        {
            Scheduling = SchedulingPolicy.Fifo,
            Priority = 10,
            WaitStrategy = WaitStrategy.Sleep,
        });
        try
        {
            loop.Start();
        }
        catch (RealtimeSchedulingException e)
        {
            // No privilege here (EPERM) or not Linux: reported clearly, before any tick.
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains(OperatingSystem.IsLinux() ? "sched_setscheduler(SCHED_FIFO, priority 10) failed" : "only implemented on Linux", e.Message);
            Assert.Equal(0, handler.TickCount);
            return;
        }
        Thread.Sleep(50);
        loop.Stop();
        Assert.Equal(SchedulingPolicy.Fifo, seen);
        Assert.Equal(SchedulingPolicy.Normal, ThreadScheduling.GetCurrentPolicy()); // the test thread is untouched
    }

    [Fact]
    public void Cpu_affinity_pins_the_loop_thread()
    {
        if (!OperatingSystem.IsLinux()) return;
        var allowed = ThreadScheduling.GetAffinity();
        var cpu = allowed[^1];
        int[]? seen = null;
        var handler = new RecordingHandler { OnStartAction = () => seen = ThreadScheduling.GetAffinity() };
        var loop = new RealtimeLoop(handler, Options() with { CpuAffinity = [cpu] });

        loop.Start();
        loop.Stop();

        Assert.Equal([cpu], seen!);
        Assert.Equal(allowed, ThreadScheduling.GetAffinity()); // the test thread is untouched
    }

    [Fact]
    public void An_impossible_cpu_affinity_is_reported_from_Start_in_one_line()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (ThreadScheduling.GetAffinity().Contains(1023)) return; // a machine with 1024 CPUs
        var handler = new RecordingHandler();
        var loop = new RealtimeLoop(handler, Options() with { CpuAffinity = [1023] });

        var thrown = Assert.Throws<RealtimeSchedulingException>(loop.Start);

        Assert.Equal(22, thrown.ErrorNumber); // EINVAL
        Assert.StartsWith("sched_setaffinity(CPUs 1023) failed: ", thrown.Message);
        Assert.DoesNotContain('\n', thrown.Message);
        Assert.False(loop.IsRunning);
        Assert.Empty(handler.Events); // OnStart never ran
        Assert.Throws<RealtimeLoopFaultException>(loop.Stop);
    }
}
