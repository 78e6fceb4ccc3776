using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Randomization;

namespace RoboDdpg.Sim.Tests.Randomization;

/// <summary>Per-episode sampling, determinism, effect on the physics and the hot path of the randomized twin.</summary>
public sealed class RandomizedEnvironmentTests
{
    private const string Config = """
        {
          "supply_voltage": { "scale": [0.8, 1.2] },
          "torque_constant": { "scale": [0.9, 1.1] },
          "arm_mass": { "scale": [0.8, 1.2] },
          "arm_length": { "range": [0.15, 0.25] },
          "coulomb_friction": { "scale": [0.5, 2] },
          "viscous_friction": { "scale": [0.5, 2] },
          "resistance": { "scale": [0.9, 1.1] },
          "angle_noise_std": { "range": [0, 0.002] },
          "velocity_noise_std": { "range": [0, 0.2] },
          "latency_ticks": { "range": [0, 3] }
        }
        """;

    private static RandomizedEnvironment Started(string json = Config, MotorPendulumParameters? baseParameters = null, ulong seed = 5) =>
        new RandomizedEnvironment(RandomizationConfig.Parse(json, "cfg.json", baseParameters), baseParameters, seed).Start();

    private static List<RandomizationSample> Resets(RandomizedEnvironment env, IEnumerable<ulong?> seeds)
    {
        var obs = new float[3];
        var samples = new List<RandomizationSample>();
        env.EpisodeSampled += samples.Add;
        foreach (var seed in seeds) env.Reset(seed, obs);
        return samples;
    }

    [Fact]
    public void Spec_is_the_twins_spec()
    {
        using var env = Started();
        using var twin = new MotorPendulumEnvironment();
        Assert.Equal(twin.Spec.Name, env.Spec.Name);
        Assert.Equal(twin.Spec.Observation.Names, env.Spec.Observation.Names);
        Assert.Equal(twin.Spec.Observation.Low, env.Spec.Observation.Low);
        Assert.Equal(twin.Spec.Observation.High, env.Spec.Observation.High);
        Assert.Equal(twin.Spec.Action.Low, env.Spec.Action.Low);
        Assert.Equal(twin.Spec.SafeAction, env.Spec.SafeAction);
        Assert.Equal(twin.Spec.ControlPeriodSeconds, env.Spec.ControlPeriodSeconds);
        Assert.Equal(twin.Spec.MaxEpisodeSteps, env.Spec.MaxEpisodeSteps);
    }

    [Fact]
    public void Same_reset_seeds_give_the_same_parameters_and_different_seeds_differ()
    {
        var seeds = Enumerable.Range(0, 20).Select(k => (ulong?)(1000 + (ulong)k)).ToArray();
        // Different constructor seeds: only the reset seeds matter.
        using var a = Started(seed: 1);
        using var b = Started(seed: 2);
        using var c = Started(seed: 1);
        var sa = Resets(a, seeds);
        var sb = Resets(b, seeds);
        var sc = Resets(c, seeds.Select(s => s + 500));

        Assert.Equal(20, sa.Count);
        for (var k = 0; k < 20; k++)
        {
            Assert.Equal(k, sa[k].Episode);
            Assert.Equal(seeds[k], sa[k].Seed);
            Assert.Equal(sa[k].Values, sb[k].Values);
            Assert.Equal(sa[k].Parameters, sb[k].Parameters);
            Assert.NotEqual(sa[k].Values, sc[k].Values);
        }
        // Different episodes get different parameters.
        Assert.Equal(20, sa.Select(s => s.Parameters.ArmMass).Distinct().Count());
    }

    [Fact]
    public void Unseeded_resets_follow_the_constructor_seed()
    {
        using var a = Started(seed: 9);
        using var b = Started(seed: 9);
        using var c = Started(seed: 10);
        var none = Enumerable.Repeat<ulong?>(null, 20).ToArray();
        var sa = Resets(a, none);
        var sb = Resets(b, none);
        var sc = Resets(c, none);
        Assert.Equal(sa.Select(s => s.Seed), sb.Select(s => s.Seed));
        Assert.Equal(sa.SelectMany(s => s.Values), sb.SelectMany(s => s.Values));
        Assert.NotEqual(sa.SelectMany(s => s.Values), sc.SelectMany(s => s.Values));
    }

    [Fact]
    public void Episode_matches_a_plain_twin_with_the_sampled_parameters()
    {
        using var env = Started();
        var obs = new float[3];
        var plainObs = new float[3];
        var action = new float[1];
        for (var episode = 0; episode < 3; episode++)
        {
            env.Reset(77 + (ulong)episode, obs);
            var sample = env.CurrentSample!;
            Assert.Same(sample.Parameters, env.Twin!.Parameters);
            using var plain = new MotorPendulumEnvironment(sample.Parameters, 1).Start();
            plain.Reset(77 + (ulong)episode, plainObs);
            Assert.Equal(plainObs, obs);
            for (var k = 0; k < 200; k++)
            {
                action[0] = MathF.Sin(k * 0.1f);
                var r = env.Step(action, obs);
                var rp = plain.Step(action, plainObs);
                Assert.Equal(rp, r);
                Assert.Equal(plainObs, obs);
            }
        }
    }

    [Fact]
    public void Samples_are_inside_the_ranges_and_exposed_by_name()
    {
        using var env = Started();
        var defaults = new MotorPendulumParameters();
        foreach (var s in Resets(env, Enumerable.Range(0, 200).Select(k => (ulong?)k)))
        {
            Assert.InRange(s["supply_voltage"], 0.8 * 12, 1.2 * 12);
            Assert.InRange(s["arm_mass"], 0.8 * 0.2, 1.2 * 0.2);
            Assert.InRange(s["arm_length"], 0.15, 0.25);
            Assert.InRange(s["coulomb_friction"], 0.005, 0.02);
            Assert.InRange(s["latency_ticks"], 0, 3);
            Assert.Equal(s["latency_ticks"], s.Parameters.LatencyTicks);
            Assert.Equal(s["arm_length"], s.Parameters.ArmLength);
            Assert.Equal(s.Parameters.TorqueConstant, s.Parameters.BackEmfConstant, 1e-15);
            // Not randomized: the base value.
            Assert.Equal(defaults.GearRatio, s.Parameters.GearRatio);
            Assert.Equal(defaults.Inductance, s.Parameters.Inductance);
        }
        Assert.Throws<KeyNotFoundException>(() => env.CurrentSample!["gear_ratio"]);
    }

    [Fact]
    public void Steady_speed_follows_the_sampled_supply_voltage_and_torque_constant()
    {
        // No gravity and no friction: at full duty the arm runs at the no-load speed V/(Ke·N), Ke following Kt.
        var baseParameters = new MotorPendulumParameters { Gravity = 0, CoulombFriction = 0, ViscousFriction = 0 };
        using var env = Started("""{ "supply_voltage": { "scale": [0.5, 1.5] }, "torque_constant": { "scale": [0.8, 1.2] } }""", baseParameters);
        var obs = new float[3];
        var speeds = new List<double>();
        for (var episode = 0; episode < 8; episode++)
        {
            env.Reset((ulong)episode, obs);
            var s = env.CurrentSample!;
            for (var k = 0; k < 200; k++) env.Step([1f], obs); // 2 s ≫ mechanical time constant (~50 ms)
            var expected = s["supply_voltage"] / (s["torque_constant"] * 30);
            Assert.Equal(expected, env.Twin!.ThetaDot, 1e-6);
            speeds.Add(env.Twin.ThetaDot);
        }
        Assert.True(speeds.Max() - speeds.Min() > 5, $"speeds barely vary: {string.Join(", ", speeds)}");
    }

    [Fact]
    public void Longer_arm_swings_with_a_longer_period()
    {
        // Free point-mass pendulum (motor disconnected, no friction, no rotor): small-oscillation period 2π·√(l/g).
        var baseParameters = new MotorPendulumParameters
        {
            TorqueConstant = 0, BackEmfConstant = 0, RotorInertia = 0, CoulombFriction = 0, ViscousFriction = 0,
            MaxEpisodeSteps = 2000,
        };
        using var env = Started("""{ "arm_length": { "range": [0.05, 0.8] } }""", baseParameters);
        var obs = new float[3];
        var periods = new List<(double Length, double Period)>();
        for (var episode = 0; episode < 6; episode++)
        {
            env.Reset(100 + (ulong)episode, obs);
            var length = env.CurrentSample!["arm_length"];
            var period = MeasurePeriod(env, obs);
            var expected = 2 * Math.PI * Math.Sqrt(length / baseParameters.Gravity);
            // Amplitude ≤ 0.3 rad lengthens the period by < 0.6 %; crossings are interpolated within 10 ms steps.
            Assert.Equal(expected, period, expected * 0.02);
            periods.Add((length, period));
        }
        var ordered = periods.OrderBy(p => p.Length).Select(p => p.Period).ToArray();
        Assert.Equal(ordered.Order(), ordered);
        Assert.True(ordered[^1] > 1.5 * ordered[0], $"periods {string.Join(", ", ordered)}");
    }

    private static double MeasurePeriod(RandomizedEnvironment env, float[] obs)
    {
        // Upward zero crossings of ω (exact state), linearly interpolated; period = mean spacing.
        var twin = env.Twin!;
        var crossings = new List<double>();
        var previous = twin.ThetaDot;
        for (var k = 1; k <= 2000 && crossings.Count < 6; k++)
        {
            env.Step([0f], obs);
            var now = twin.ThetaDot;
            if (previous < 0 && now >= 0)
                crossings.Add((k - 1 + -previous / (now - previous)) * 0.01);
            previous = now;
        }
        Assert.True(crossings.Count >= 3, $"only {crossings.Count} crossings");
        return (crossings[^1] - crossings[0]) / (crossings.Count - 1);
    }

    [Fact]
    public void Step_does_not_allocate()
    {
        using var env = Started();
        var obs = new float[3];
        var action = new float[] { 0.5f };
        env.Reset(1, obs);
        for (var k = 0; k < 1000; k++) env.Step(action, obs); // warm up the JIT
        env.Reset(2, obs);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 5000; k++)
        {
            action[0] = (k % 5 - 2) / 2f;
            env.Step(action, obs);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Lifecycle_is_enforced_and_forwarded()
    {
        var config = RandomizationConfig.Parse(Config, "cfg.json");
        using var env = new RandomizedEnvironment(config, seed: 1);
        var obs = new float[3];
        Assert.Throws<InvalidOperationException>(() => env.Reset(1, obs));
        env.Start();
        Assert.Null(env.CurrentSample);
        Assert.Throws<InvalidOperationException>(() => env.Step([0f], obs));
        env.Reset(1, obs);
        var first = env.Twin!;
        env.Reset(2, obs);
        Assert.Equal(LifecycleState.Disposed, first.State); // the previous episode's twin is released
        env.Deactivate();
        Assert.Equal(LifecycleState.Inactive, env.Twin!.State);
    }

    [Fact]
    public void Config_invalid_for_the_base_is_rejected_at_construction()
    {
        var config = RandomizationConfig.Parse("""{ "arm_mass": { "scale": [0, 1] } }""", "cfg.json");
        var ex = Assert.Throws<RandomizationConfigException>(() =>
            new RandomizedEnvironment(config, new MotorPendulumParameters { RotorInertia = 0 }));
        Assert.StartsWith("cfg.json: lowest sample is invalid", ex.Message, StringComparison.Ordinal);
    }
}
