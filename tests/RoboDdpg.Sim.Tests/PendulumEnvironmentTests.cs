using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Sim.Tests;

public sealed class PendulumEnvironmentTests
{
    private static PendulumEnvironment Started(ulong? seed = 1)
    {
        var env = new PendulumEnvironment(seed: seed);
        env.Start();
        return env;
    }

    [Fact]
    public void Spec_matches_Pendulum_v1()
    {
        using var env = new PendulumEnvironment();
        var spec = env.Spec;
        Assert.Equal("pendulum", spec.Name);
        Assert.Equal(["cos_theta", "sin_theta", "theta_dot"], spec.Observation.Names);
        Assert.Equal([-1f, -1f, -8f], spec.Observation.Low);
        Assert.Equal([1f, 1f, 8f], spec.Observation.High);
        Assert.Equal(["torque"], spec.Action.Names);
        Assert.Equal([-2f], spec.Action.Low);
        Assert.Equal([2f], spec.Action.High);
        Assert.Equal([0f], spec.SafeAction);
        Assert.Equal(0.05, spec.ControlPeriodSeconds);
        Assert.Equal(200, spec.MaxEpisodeSteps);
    }

    [Fact]
    public void One_step_from_a_known_state_matches_hand_computation()
    {
        // θ = π/2 (rod horizontal), θ̇ = 1, u = 1, g = 10, m = l = 1, dt = 0.05:
        //   cost  = (π/2)² + 0.1·1² + 0.001·1² = 2.4674011002723395 + 0.101 = 2.5684011002723395
        //   θ̇'   = 1 + (3g/2l·sin(π/2) + 3/(ml²)·1)·0.05 = 1 + (15 + 3)·0.05 = 1.9
        //   θ'    = π/2 + 1.9·0.05 = π/2 + 0.095
        //   cos θ' = −sin 0.095 = −0.0948571686345573,  sin θ' = cos 0.095 = 0.9954908927552453
        using var env = Started();
        env.SetState(Math.PI / 2, 1.0);
        var obs = new float[3];

        var result = env.Step([1f], obs);

        Assert.Equal(-2.5684011002723395, result.Reward, 1e-12);
        Assert.Equal(1.9, env.ThetaDot, 1e-12);
        Assert.Equal(Math.PI / 2 + 0.095, env.Theta, 1e-12);
        var exact = new double[3];
        env.WriteExactObservation(exact);
        Assert.Equal(-0.0948571686345573, exact[0], 1e-12);
        Assert.Equal(0.9954908927552453, exact[1], 1e-12);
        Assert.Equal(1.9, exact[2], 1e-12);
        Assert.Equal([(float)exact[0], (float)exact[1], 1.9f], obs);
        Assert.False(result.Terminated);
        Assert.False(result.Truncated);
    }

    [Fact]
    public void Gravity_is_a_constructor_parameter()
    {
        // g = 0: only the torque accelerates. θ̇' = 0 + (0 + 3·2)·0.05 = 0.3.
        using var env = new PendulumEnvironment(gravity: 0, seed: 1);
        env.Start();
        env.SetState(1.0, 0.0);
        env.Step([2f], new float[3]);
        Assert.Equal(0.3, env.ThetaDot, 1e-12);
        Assert.Equal(0.0, env.Gravity);
    }

    [Theory]
    [InlineData(Math.PI, -Math.PI)]
    [InlineData(-Math.PI, -Math.PI)]
    [InlineData(0.0, 0.0)]
    // Expected values from Python: ((x + math.pi) % (2 * math.pi)) - math.pi
    [InlineData(7.0, 0.7168146928204138)]
    [InlineData(-7.0, -0.7168146928204138)]
    [InlineData(100.0, -0.5309649148733762)]
    [InlineData(4.71238898038469, -1.5707963267948966)]
    [InlineData(6.783185307179586, 0.5)]
    [InlineData(-3.5, 2.7831853071795862)]
    [InlineData(1e6, -0.3575641670518799)]
    public void Angle_normalization_matches_Python_floored_modulo(double x, double expected)
    {
        Assert.Equal(expected, PendulumEnvironment.NormalizeAngle(x));
    }

    [Fact]
    public void Normalized_angle_zero_is_positive_zero()
    {
        Assert.False(double.IsNegative(PendulumEnvironment.NormalizeAngle(-Math.PI) + Math.PI));
    }

    [Fact]
    public void Reward_at_theta_pi_uses_normalized_angle()
    {
        // θ = π normalizes to −π, and (−π)² = π²: cost = π² + 0 + 0.
        using var env = Started();
        env.SetState(Math.PI, 0);
        var result = env.Step([0f], new float[3]);
        Assert.Equal(-Math.PI * Math.PI, result.Reward, 1e-12);
    }

    [Fact]
    public void Torque_above_the_limit_is_clipped_to_2()
    {
        using var clipped = Started();
        using var atLimit = Started();
        clipped.SetState(0.3, -0.2);
        atLimit.SetState(0.3, -0.2);
        var obsClipped = new float[3];
        var obsLimit = new float[3];

        var rClipped = clipped.Step([5f], obsClipped);
        var rLimit = atLimit.Step([2f], obsLimit);

        Assert.Equal(rLimit.Reward, rClipped.Reward); // cost uses the clipped 2, not 5: 0.001·4
        Assert.Equal(obsLimit, obsClipped);
        Assert.Equal(atLimit.ThetaDot, clipped.ThetaDot);

        // Same below the limit.
        clipped.SetState(0.3, -0.2);
        atLimit.SetState(0.3, -0.2);
        Assert.Equal(atLimit.Step([-2f], obsLimit).Reward, clipped.Step([-100f], obsClipped).Reward);
        Assert.Equal(atLimit.Theta, clipped.Theta);
    }

    [Fact]
    public void Speed_is_clipped_at_8()
    {
        // θ = π/2, θ̇ = 7.5, u = 2: 7.5 + (15 + 6)·0.05 = 8.55 → 8, and θ' = π/2 + 8·0.05.
        using var env = Started();
        env.SetState(Math.PI / 2, 7.5);
        var obs = new float[3];
        env.Step([2f], obs);
        Assert.Equal(8.0, env.ThetaDot);
        Assert.Equal(8f, obs[2]);
        Assert.Equal(Math.PI / 2 + 0.4, env.Theta, 1e-12);

        env.SetState(-Math.PI / 2, -7.5);
        env.Step([-2f], obs);
        Assert.Equal(-8.0, env.ThetaDot);
    }

    [Fact]
    public void Truncates_exactly_at_step_200_and_never_terminates()
    {
        using var env = Started();
        var obs = new float[3];
        env.Reset(3, obs);
        for (var i = 1; i < 200; i++)
        {
            var r = env.Step([1f], obs);
            Assert.False(r.Terminated);
            Assert.False(r.Truncated, $"truncated early at step {i}");
        }
        var last = env.Step([1f], obs);
        Assert.True(last.Truncated);
        Assert.False(last.Terminated);
        Assert.Equal(200, env.ElapsedSteps);

        // Reset and SetState both restart the count.
        env.Reset(null, obs);
        Assert.Equal(0, env.ElapsedSteps);
        Assert.False(env.Step([0f], obs).Truncated);
        env.SetState(0, 0);
        Assert.Equal(0, env.ElapsedSteps);
    }

    [Fact]
    public void Reset_draws_theta_in_pi_range_and_speed_in_unit_range()
    {
        using var env = Started(seed: 11);
        var obs = new float[3];
        double minTh = double.MaxValue, maxTh = double.MinValue, minDot = double.MaxValue, maxDot = double.MinValue;
        for (var i = 0; i < 2000; i++)
        {
            env.Reset(null, obs);
            Assert.InRange(env.Theta, -Math.PI, Math.PI);
            Assert.InRange(env.ThetaDot, -1.0, 1.0);
            Assert.Equal((float)Math.Cos(env.Theta), obs[0]);
            Assert.Equal((float)Math.Sin(env.Theta), obs[1]);
            Assert.Equal((float)env.ThetaDot, obs[2]);
            minTh = Math.Min(minTh, env.Theta);
            maxTh = Math.Max(maxTh, env.Theta);
            minDot = Math.Min(minDot, env.ThetaDot);
            maxDot = Math.Max(maxDot, env.ThetaDot);
        }
        // The draws cover the ranges, not just a corner of them.
        Assert.True(minTh < -3.0 && maxTh > 3.0, $"theta spans [{minTh}, {maxTh}]");
        Assert.True(minDot < -0.95 && maxDot > 0.95, $"theta_dot spans [{minDot}, {maxDot}]");
    }

    [Fact]
    public void Same_seed_gives_same_initial_observation_and_different_seeds_differ()
    {
        using var a = Started(seed: 100);
        using var b = Started(seed: 200);
        var obsA = new float[3];
        var obsB = new float[3];

        a.Reset(42, obsA);
        b.Reset(42, obsB);
        Assert.Equal(obsA, obsB);
        Assert.Equal(a.Theta, b.Theta);
        Assert.Equal(a.ThetaDot, b.ThetaDot);

        // Unseeded resets continue the same stream.
        a.Reset(null, obsA);
        b.Reset(null, obsB);
        Assert.Equal(obsA, obsB);

        a.Reset(42, obsA);
        b.Reset(43, obsB);
        Assert.NotEqual(obsA, obsB);
    }

    [Fact]
    public void Constructor_seed_makes_unseeded_resets_reproducible()
    {
        using var a = Started(seed: 5);
        using var b = Started(seed: 5);
        using var c = Started(seed: 6);
        var obsA = new float[3];
        var obsB = new float[3];
        var obsC = new float[3];
        a.Reset(null, obsA);
        b.Reset(null, obsB);
        c.Reset(null, obsC);
        Assert.Equal(obsA, obsB);
        Assert.NotEqual(obsA, obsC);
    }

    [Fact]
    public void Step_before_Activate_throws()
    {
        using var env = new PendulumEnvironment(seed: 1);
        var obs = new float[3];
        Assert.Throws<InvalidOperationException>(() => env.Step([0f], obs));
        env.Configure();
        Assert.Throws<InvalidOperationException>(() => env.Step([0f], obs));
        Assert.Throws<InvalidOperationException>(() => env.Reset(1, obs));
    }

    [Fact]
    public void Step_before_Reset_throws()
    {
        using var env = Started();
        var ex = Assert.Throws<InvalidOperationException>(() => env.Step([0f], new float[3]));
        Assert.Contains("Reset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_after_Deactivate_and_Dispose_throws()
    {
        var env = Started();
        var obs = new float[3];
        env.Reset(1, obs);
        env.Deactivate();
        Assert.Equal(LifecycleState.Inactive, env.State);
        Assert.Throws<InvalidOperationException>(() => env.Step([0f], obs));
        env.Dispose();
        Assert.Throws<InvalidOperationException>(() => env.Step([0f], obs));
    }

    [Fact]
    public void Wrong_lengths_and_NaN_action_are_rejected()
    {
        using var env = Started();
        var obs = new float[3];
        env.Reset(1, obs);
        Assert.Throws<ArgumentException>(() => env.Step([0f, 0f], obs));
        Assert.Throws<ArgumentException>(() => env.Step([0f], new float[2]));
        Assert.Throws<ArgumentException>(() => env.Step([float.NaN], obs));
        Assert.Throws<ArgumentOutOfRangeException>(() => env.SetState(double.NaN, 0));
    }

    [Fact]
    public void Step_does_not_allocate()
    {
        using var env = Started();
        var obs = new float[3];
        var action = new float[] { 0.5f };
        env.Reset(1, obs);
        for (var i = 0; i < 1000; i++) env.Step(action, obs); // warm up the JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            action[0] = (i % 5) - 2.5f;
            env.Step(action, obs);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
