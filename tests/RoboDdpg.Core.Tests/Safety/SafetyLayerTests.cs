using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Safety;

namespace RoboDdpg.Core.Tests.Safety;

public sealed class SafetyLayerTests
{
    private static BoxSpec Box(int size, float low, float high) =>
        new(Enumerable.Range(0, size).Select(i => $"a{i}").ToArray(),
            Enumerable.Repeat(low, size).ToArray(), Enumerable.Repeat(high, size).ToArray());

    /// <summary>Actions in [−2, 2], safe action 0, optional rate limit, watchdog N.</summary>
    private static SafetyLayer Layer(int size = 1, float? maxDelta = null, int watchdogTicks = 5) =>
        new(Box(size, -2f, 2f), new float[size],
            new SafetyOptions { MaxDeltaPerTick = maxDelta is { } d ? [d] : null, WatchdogTicks = watchdogTicks });

    private static float[] Run(SafetyLayer layer, float[] proposed, bool fresh = true)
    {
        var output = new float[proposed.Length];
        layer.Filter(proposed, fresh, output);
        return output;
    }

    // ---- rule 4: clamp -------------------------------------------------------------------------------------

    [Fact]
    public void Clamps_each_entry_into_the_bounds_and_counts_one_per_tick()
    {
        var layer = Layer(size: 2);
        Assert.Equal([2f, -2f], Run(layer, [3f, -5f]));
        Assert.Equal(new SafetyCounters(Ticks: 1, Clamped: 1, RateLimited: 0, NonFinite: 0, Watchdog: 0, EmergencyStop: 0), layer.Counters);

        Assert.Equal([2f, 1.5f], Run(layer, [2.5f, 1.5f])); // one entry clamped: still one count
        Assert.Equal([-1f, 1f], Run(layer, [-1f, 1f]));    // inside: passes unchanged, not counted
        Assert.Equal(2, layer.Counters.Clamped);
        Assert.Equal(3, layer.Counters.Ticks);
        Assert.Equal(2, layer.Counters.Total);
    }

    [Fact]
    public void Bounds_are_inclusive()
    {
        var layer = Layer(size: 2);
        Assert.Equal([2f, -2f], Run(layer, [2f, -2f]));
        Assert.Equal(0, layer.Counters.Clamped);
    }

    // ---- rule 5: rate limit --------------------------------------------------------------------------------

    [Fact]
    public void Rate_limit_ramps_from_the_previous_output_by_at_most_max_delta()
    {
        var layer = Layer(maxDelta: 0.25f);
        Assert.Equal([0.25f], Run(layer, [1f]));
        Assert.Equal([0.5f], Run(layer, [1f]));
        Assert.Equal([0.75f], Run(layer, [1f]));
        Assert.Equal([1f], Run(layer, [1f]));
        Assert.Equal([1f], Run(layer, [1f]));     // reached: no longer limited
        Assert.Equal([0.9f], Run(layer, [0.9f])); // small step down passes
        Assert.Equal([0.65f], Run(layer, [-1f])); // and downwards too
        Assert.Equal(4, layer.Counters.RateLimited);
        Assert.Equal(0, layer.Counters.Clamped);
    }

    [Fact]
    public void Rate_limit_takes_one_value_per_dimension()
    {
        var layer = new SafetyLayer(Box(2, -2f, 2f), [0f, 0f], new SafetyOptions { MaxDeltaPerTick = [0.5f, 0.125f] });
        Assert.Equal([0.5f, -0.125f], Run(layer, [1f, -1f]));
        Assert.Equal([1f, -0.25f], Run(layer, [1f, -1f]));
    }

    [Fact]
    public void A_single_rate_limit_is_broadcast_to_every_dimension()
    {
        var layer = Layer(size: 3, maxDelta: 0.5f);
        Assert.Equal([0.5f, -0.5f, 0.25f], Run(layer, [2f, -2f, 0.25f]));
    }

    [Fact]
    public void Infinite_rate_limit_leaves_that_dimension_free()
    {
        var layer = new SafetyLayer(Box(2, -2f, 2f), [0f, 0f],
            new SafetyOptions { MaxDeltaPerTick = [float.PositiveInfinity, 0.5f] });
        Assert.Equal([2f, 0.5f], Run(layer, [2f, 2f]));
    }

    [Fact]
    public void Clamp_comes_before_the_rate_limit_and_both_count()
    {
        var layer = Layer(maxDelta: 1.5f);
        Assert.Equal([1.5f], Run(layer, [3f])); // clamped to 2, then limited to 0 + 1.5
        Assert.Equal([2f], Run(layer, [3f]));   // clamped to 2, reachable: the limit never pushes past the bound
        var c = layer.Counters;
        Assert.Equal((2L, 1L, 3L), (c.Clamped, c.RateLimited, c.Total));
    }

    // ---- rule 3: non-finite --------------------------------------------------------------------------------

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void A_non_finite_entry_replaces_the_whole_vector_with_the_safe_action(float bad)
    {
        var layer = new SafetyLayer(Box(3, -2f, 2f), [0.5f, 0f, -0.5f], new SafetyOptions());
        Assert.Equal([0.5f, 0f, -0.5f], Run(layer, [1f, bad, 1f]));
        Assert.Equal(new SafetyCounters(1, 0, 0, 1, 0, 0), layer.Counters); // +∞ is not "clamped": it is untrusted
        Assert.Equal([1f, 1f, 1f], Run(layer, [1f, 1f, 1f])); // next finite proposal passes again
    }

    [Fact]
    public void The_safe_action_replacing_a_non_finite_proposal_is_still_rate_limited()
    {
        var layer = Layer(maxDelta: 0.25f);
        layer.Reset([1f]);
        Assert.Equal([0.75f], Run(layer, [float.NaN])); // towards the safe action 0, smoothly
        Assert.Equal([0.5f], Run(layer, [float.NaN]));
        var c = layer.Counters;
        Assert.Equal((2L, 2L, 0L), (c.NonFinite, c.RateLimited, c.Clamped));
    }

    // ---- rule 2: watchdog ----------------------------------------------------------------------------------

    [Fact]
    public void Watchdog_forces_the_safe_action_exactly_at_the_nth_stale_tick_and_recovers_rate_limited()
    {
        var layer = Layer(maxDelta: 0.25f, watchdogTicks: 3);
        layer.Reset([1f]);
        Assert.Equal([1f], Run(layer, [1f], fresh: false)); // stale 1
        Assert.Equal([1f], Run(layer, [1f], fresh: false)); // stale 2 = N − 1: still the proposal
        Assert.Equal(0, layer.Counters.Watchdog);
        Assert.Equal([0f], Run(layer, [1f], fresh: false)); // stale 3 = N: safe action at once, no ramp
        Assert.Equal([0f], Run(layer, [1f], fresh: false)); // stays safe until a fresh observation
        Assert.Equal(2, layer.Counters.Watchdog);
        Assert.Equal(0, layer.Counters.RateLimited);

        Assert.Equal([0.25f], Run(layer, [1f], fresh: true)); // recovered, ramping from the safe action
        Assert.Equal([0.5f], Run(layer, [1f], fresh: true));
        Assert.Equal(2, layer.Counters.Watchdog);
    }

    [Fact]
    public void A_fresh_observation_restarts_the_watchdog_count()
    {
        var layer = Layer(watchdogTicks: 2);
        Assert.Equal([1f], Run(layer, [1f], fresh: false));
        Assert.Equal([1f], Run(layer, [1f], fresh: true));
        Assert.Equal([1f], Run(layer, [1f], fresh: false));
        Assert.Equal([0f], Run(layer, [1f], fresh: false));
    }

    [Fact]
    public void Watchdog_of_one_trips_on_the_first_stale_tick()
    {
        var layer = Layer(watchdogTicks: 1);
        Assert.Equal([0f], Run(layer, [1f], fresh: false));
        Assert.Equal(1, layer.Counters.Watchdog);
    }

    [Fact]
    public void Reset_does_not_clear_the_watchdog()
    {
        var layer = Layer(watchdogTicks: 2);
        Run(layer, [1f], fresh: false);
        layer.Reset();
        Assert.Equal([0f], Run(layer, [1f], fresh: false)); // a dead sensor gets no fresh N ticks per episode
    }

    // ---- rule 1: emergency stop ----------------------------------------------------------------------------

    [Fact]
    public void Emergency_stop_forces_the_safe_action_immediately_and_release_ramps_from_it()
    {
        var layer = Layer(maxDelta: 0.25f);
        layer.Reset([1.5f]);
        layer.EngageEmergencyStop("operator pressed stop");
        Assert.True(layer.EmergencyStopped);
        Assert.Equal("operator pressed stop", layer.EmergencyStopReason);
        Assert.Equal([0f], Run(layer, [1.5f])); // not 1.25: no rate limit on the way to rest
        Assert.Equal([0f], Run(layer, [1.5f]));
        Assert.Equal(2, layer.Counters.EmergencyStop);
        Assert.Equal(0, layer.Counters.RateLimited);

        layer.ReleaseEmergencyStop();
        Assert.False(layer.EmergencyStopped);
        Assert.Null(layer.EmergencyStopReason);
        Assert.Equal([0.25f], Run(layer, [1.5f]));
        Assert.Equal(2, layer.Counters.EmergencyStop);
    }

    [Fact]
    public void Emergency_stop_halts_learning_until_resumed_deliberately()
    {
        var layer = Layer();
        Assert.False(layer.LearningHalted);
        layer.EngageEmergencyStop("joint limit switch");
        layer.EngageEmergencyStop("second press"); // idempotent: the first reason is the cause
        Assert.True(layer.LearningHalted);
        Assert.Equal("joint limit switch", layer.LearningHaltReason);
        Assert.Equal("joint limit switch", layer.EmergencyStopReason);
        Assert.Throws<InvalidOperationException>(layer.ResumeLearning); // not while stopped

        layer.ReleaseEmergencyStop();
        layer.ReleaseEmergencyStop(); // idempotent
        Assert.True(layer.LearningHalted); // releasing does not restart learning
        Assert.Equal("joint limit switch", layer.LearningHaltReason);

        layer.ResumeLearning();
        Assert.False(layer.LearningHalted);
        Assert.Null(layer.LearningHaltReason);

        layer.EngageEmergencyStop("again");
        Assert.Equal("again", layer.LearningHaltReason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Emergency_stop_needs_a_reason(string? reason)
    {
        var layer = Layer();
        Assert.ThrowsAny<ArgumentException>(() => layer.EngageEmergencyStop(reason!));
        Assert.False(layer.EmergencyStopped);
    }

    // ---- order of rules ------------------------------------------------------------------------------------

    [Fact]
    public void Non_finite_under_emergency_stop_counts_as_emergency_stop_only()
    {
        var layer = Layer(size: 2);
        layer.EngageEmergencyStop("test");
        Assert.Equal([0f, 0f], Run(layer, [float.NaN, 5f]));
        Assert.Equal(new SafetyCounters(1, 0, 0, 0, 0, 1), layer.Counters);
    }

    [Fact]
    public void Emergency_stop_outranks_a_tripped_watchdog()
    {
        var layer = Layer(watchdogTicks: 1);
        layer.EngageEmergencyStop("test");
        Run(layer, [1f], fresh: false);
        Assert.Equal(new SafetyCounters(1, 0, 0, 0, 0, 1), layer.Counters);
    }

    [Fact]
    public void Watchdog_outranks_non_finite_and_out_of_bounds_proposals()
    {
        var layer = Layer(size: 2, maxDelta: 0.1f, watchdogTicks: 1);
        Assert.Equal([0f, 0f], Run(layer, [float.NaN, 5f], fresh: false));
        Assert.Equal(new SafetyCounters(1, 0, 0, 0, 1, 0), layer.Counters);
    }

    [Fact]
    public void Watchdog_keeps_counting_under_emergency_stop()
    {
        var layer = Layer(watchdogTicks: 2);
        layer.EngageEmergencyStop("test");
        Run(layer, [1f], fresh: false);
        Run(layer, [1f], fresh: false);
        layer.ReleaseEmergencyStop();
        Assert.Equal([0f], Run(layer, [1f], fresh: false)); // sensor still dead after the release
        Assert.Equal(1, layer.Counters.Watchdog);
    }

    // ---- reset, aliasing, arguments ------------------------------------------------------------------------

    [Fact]
    public void Reset_makes_the_safe_action_the_previous_output()
    {
        var layer = new SafetyLayer(Box(1, -2f, 2f), [0.5f], new SafetyOptions { MaxDeltaPerTick = [0.25f] });
        Assert.Equal([0.5f], layer.PreviousOutput.ToArray()); // at rest before the first tick
        for (var i = 0; i < 8; i++) Run(layer, [2f]);
        Assert.Equal([2f], layer.PreviousOutput.ToArray());
        layer.Reset();
        Assert.Equal([0.5f], layer.PreviousOutput.ToArray());
        Assert.Equal([0.75f], Run(layer, [2f]));
    }

    [Fact]
    public void Reset_with_an_applied_action_checks_it()
    {
        var layer = Layer(maxDelta: 0.25f);
        Assert.Throws<ArgumentException>(() => layer.Reset([3f]));
        Assert.Throws<ArgumentException>(() => layer.Reset([float.NaN]));
        Assert.Throws<ArgumentException>(() => layer.Reset([0f, 0f]));
        layer.Reset([-1f]);
        Assert.Equal([-0.75f], Run(layer, [1f]));
    }

    [Fact]
    public void Output_may_be_the_proposal_buffer()
    {
        var layer = Layer(size: 2, maxDelta: 1f);
        var buffer = new[] { 3f, -0.5f };
        layer.Filter(buffer, observationFresh: true, buffer);
        Assert.Equal([1f, -0.5f], buffer);
        buffer = [1f, float.NaN];
        layer.Filter(buffer, observationFresh: true, buffer);
        Assert.Equal([0f, 0f], buffer);
    }

    [Fact]
    public void Filter_rejects_wrong_lengths()
    {
        var layer = Layer(size: 2);
        Assert.Throws<ArgumentException>(() => layer.Filter(new float[1], true, new float[2]));
        Assert.Throws<ArgumentException>(() => layer.Filter(new float[2], true, new float[3]));
        Assert.Equal(0, layer.Counters.Ticks);
    }

    [Fact]
    public void Takes_bounds_and_safe_action_from_an_environment_spec()
    {
        var spec = new EnvironmentSpec("test", Box(2, -10f, 10f), Box(1, -2f, 2f), [0.5f], 0.05, 200);
        var layer = new SafetyLayer(spec, new SafetyOptions());
        Assert.Equal([0.5f], layer.SafeAction);
        Assert.Same(spec.Action, layer.ActionSpec);
        layer.EngageEmergencyStop("test");
        Assert.Equal([0.5f], Run(layer, [1f]));
    }

    [Fact]
    public void The_safe_action_is_copied_and_read_only()
    {
        var safe = new[] { 0.5f };
        var layer = new SafetyLayer(Box(1, -2f, 2f), safe, new SafetyOptions());
        safe[0] = 1.5f;
        Assert.Equal([0.5f], layer.SafeAction);
        Assert.IsNotType<float[]>(layer.SafeAction);
    }

    // ---- allocations -------------------------------------------------------------------------------------------

    [Fact]
    public void Filter_allocates_nothing()
    {
        var layer = Layer(size: 4, maxDelta: 0.01f, watchdogTicks: 3);
        var proposed = new[] { 3f, -1f, 0.5f, float.NaN };
        var finite = new[] { 3f, -1f, 0.5f, 1f };
        var output = new float[4];
        void Tick(int i)
        {
            layer.Filter(i % 7 == 0 ? proposed : finite, observationFresh: i % 11 < 8, output);
            _ = layer.Counters;
        }
        for (var i = 0; i < 1000; i++) Tick(i); // warm up the JIT and every branch
        layer.EngageEmergencyStop("warm-up");
        Tick(0);
        layer.ReleaseEmergencyStop();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) Tick(i);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        var c = layer.Counters;
        Assert.True(c.Clamped > 0 && c.RateLimited > 0 && c.NonFinite > 0 && c.Watchdog > 0, c.ToString());
    }
}
