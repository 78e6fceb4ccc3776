using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Safety;

namespace RoboDdpg.Core.Tests.Safety;

/// <summary>The emergency stop and the counters used from other threads while the control loop runs.</summary>
public sealed class SafetyConcurrencyTests
{
    private const int Cycles = 5;
    private const int TicksPerPhase = 10_000; // 5 cycles × (stopped + running) × 10k = 100k ticks

    [Fact]
    public void Every_filter_after_engage_returned_writes_the_safe_action()
    {
        var layer = new SafetyLayer(new BoxSpec(["u", "v"], [-2f, -2f], [2f, 2f]), [0f, 0.5f],
            new SafetyOptions { MaxDeltaPerTick = [0.5f], WatchdogTicks = 5 });
        float[] proposed = [1.5f, -1.5f];

        // phase: odd = EngageEmergencyStop has returned and ReleaseEmergencyStop has not been called yet.
        var phase = 0;
        var ticks = 0L;
        var stop = 0;
        var violations = 0L;
        var safeTicksWhileEngaged = 0L;
        Exception? failure = null;

        var loop = new Thread(() =>
        {
            try
            {
                var output = new float[2];
                while (Volatile.Read(ref stop) == 0)
                {
                    var before = Volatile.Read(ref phase);
                    layer.Filter(proposed, observationFresh: true, output);
                    // Engaged for the whole call: engage had returned before it began, release not yet begun
                    // when it ended (a release racing the call may rightly let the proposal through).
                    if ((before & 1) == 1 && Volatile.Read(ref phase) == before)
                    {
                        if (output[0] != 0f || output[1] != 0.5f) violations++;
                        else safeTicksWhileEngaged++;
                    }
                    Volatile.Write(ref ticks, ticks + 1);
                }
            }
            catch (Exception e) { failure = e; }
        }) { IsBackground = true, Name = "control loop" };

        // A third thread reads counter snapshots: each must be internally consistent and never go backwards.
        var counterErrors = 0L;
        var snapshots = 0L;
        var reader = new Thread(() =>
        {
            var last = default(SafetyCounters);
            while (Volatile.Read(ref stop) == 0)
            {
                var c = layer.Counters;
                if (c.Ticks < last.Ticks || c.EmergencyStop < last.EmergencyStop || c.RateLimited < last.RateLimited
                    || c.EmergencyStop + c.RateLimited > c.Ticks || c.Clamped != 0 || c.NonFinite != 0 || c.Watchdog != 0)
                    counterErrors++;
                last = c;
                snapshots++;
            }
        }) { IsBackground = true, Name = "counter reader" };

        var deadline = DateTime.UtcNow.AddSeconds(60);
        void WaitTicks(long count)
        {
            var target = Volatile.Read(ref ticks) + count;
            while (Volatile.Read(ref ticks) < target)
            {
                if (failure is not null || DateTime.UtcNow > deadline) return;
                Thread.Yield();
            }
        }

        loop.Start();
        reader.Start();
        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            WaitTicks(TicksPerPhase);
            layer.EngageEmergencyStop($"stop {cycle}");
            Volatile.Write(ref phase, 2 * cycle + 1);
            WaitTicks(TicksPerPhase);
            Volatile.Write(ref phase, 2 * cycle + 2); // announced before release: the loop stops checking
            layer.ReleaseEmergencyStop();
        }
        WaitTicks(100); // ramps back to the proposal
        Volatile.Write(ref stop, 1);
        Assert.True(loop.Join(TimeSpan.FromSeconds(10)));
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)));

        Assert.Null(failure);
        Assert.True(DateTime.UtcNow <= deadline, "stress test timed out");
        Assert.Equal(0, violations);
        Assert.True(safeTicksWhileEngaged >= Cycles * TicksPerPhase, $"{safeTicksWhileEngaged} checked ticks");
        Assert.Equal(0, counterErrors);
        Assert.True(snapshots > 0);

        var final = layer.Counters;
        Assert.Equal(Volatile.Read(ref ticks), final.Ticks);
        Assert.True(final.Ticks >= 2 * Cycles * TicksPerPhase);
        Assert.True(final.EmergencyStop >= Cycles * TicksPerPhase);
        Assert.False(layer.EmergencyStopped);
        Assert.True(layer.LearningHalted);
        Assert.Equal("stop 0", layer.LearningHaltReason);
        Assert.Equal([1.5f, -1.5f], layer.PreviousOutput.ToArray()); // released: the proposal passes again
    }

    [Fact]
    public void Racing_engage_and_release_leave_a_consistent_state()
    {
        var layer = new SafetyLayer(new BoxSpec(["u"], [-1f], [1f]), [0f], new SafetyOptions());
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                if ((i + t) % 2 == 0) layer.EngageEmergencyStop($"thread {t}");
                else layer.ReleaseEmergencyStop();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Engaged always comes with a reason, released never keeps one.
        Assert.Equal(layer.EmergencyStopped, layer.EmergencyStopReason is not null);
        Assert.True(layer.LearningHalted);
    }
}
