using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Tests.MotorPendulum;

/// <summary>Spec, sensing, reward, episodes and the environment contract of the motor pendulum.</summary>
public sealed class MotorPendulumEnvironmentTests
{
    private const double CountAngle = 2 * Math.PI / 2048; // 0.0030679615757712823 rad

    private static MotorPendulumEnvironment Started(MotorPendulumParameters? parameters = null, ulong seed = 1) =>
        MotorPendulumPhysicsTests.Started(parameters, seed);

    [Fact]
    public void Spec_describes_duty_in_and_encoder_readings_out()
    {
        using var env = new MotorPendulumEnvironment();
        var spec = env.Spec;
        Assert.Equal("motor-pendulum", spec.Name);
        Assert.Equal(["cos_theta", "sin_theta", "theta_dot"], spec.Observation.Names);
        Assert.Equal([-1f, -1f, -40f], spec.Observation.Low);
        Assert.Equal([1f, 1f, 40f], spec.Observation.High);
        Assert.Equal(["duty"], spec.Action.Names);
        Assert.Equal([-1f], spec.Action.Low);
        Assert.Equal([1f], spec.Action.High);
        Assert.Equal([0f], spec.SafeAction);
        Assert.Equal(0.01, spec.ControlPeriodSeconds);
        Assert.Equal(500, spec.MaxEpisodeSteps);
    }

    [Fact]
    public void With_observe_last_duty_the_commanded_duty_in_flight_is_the_fourth_observation()
    {
        // Two ticks of latency: the observation shows the command of the last step, not the one being applied.
        var parameters = MotorPendulumParameters.Parse("""{ "observe_last_duty": true, "latency_ticks": 2 }""", "test.json");
        using var env = Started(parameters);
        Assert.Equal(["cos_theta", "sin_theta", "theta_dot", "last_duty"], env.Spec.Observation.Names);
        Assert.Equal([-1f, -1f, -40f, -1f], env.Spec.Observation.Low);
        Assert.Equal([1f, 1f, 40f, 1f], env.Spec.Observation.High);
        var observation = new float[4];
        env.Reset(7, observation);
        Assert.Equal(0f, observation[3]);
        float[] commands = [0.5f, -0.25f, 2f, -3f, 0.125f];
        double[] applied = [0, 0, 0.5, -0.25, 1];
        for (var k = 0; k < commands.Length; k++)
        {
            env.Step([commands[k]], observation);
            Assert.Equal(Math.Clamp(commands[k], -1f, 1f), observation[3]); // clipped as the plant clips it
            Assert.Equal(applied[k], env.AppliedDuty);
        }
        // A reset clears the command in flight with the latency queue.
        env.Reset(8, observation);
        Assert.Equal(0f, observation[3]);
        Assert.Contains("\"observe_last_duty\": true", parameters.ToJson());
    }

    [Fact]
    public void Registry_creates_the_default_twin()
    {
        using var env = EnvironmentRegistry.Create("motor-pendulum");
        Assert.IsType<MotorPendulumEnvironment>(env);
        Assert.Equal(new MotorPendulumParameters(), ((MotorPendulumEnvironment)env).Parameters);
        Assert.Contains("motor-pendulum", EnvironmentRegistry.Names);
    }

    [Fact]
    public void Encoder_reports_whole_counts_and_velocity_as_their_finite_difference()
    {
        // SetState(1.0, 2.0): count = floor(1.0/Δ) = floor(325.949…) = 325, angle 325·Δ = 0.9970875121256667;
        // the previous reading is taken at θ − ω·dt = 0.98 → floor(319.43…) = 319, so θ̇ = 6·Δ/0.01 = 1.8407769454627694.
        using var env = Started();
        env.SetState(1.0, 2.0, 0);
        Assert.Equal(325, env.EncoderCount);
        Assert.Equal(0.9970875121256667, env.MeasuredAngle, 1e-15);
        Assert.Equal(1.8407769454627694, env.MeasuredVelocity, 1e-12);

        var obs = new float[3];
        for (var k = 0; k < 50; k++)
        {
            var before = env.EncoderCount;
            env.Step([(k % 7 - 3) / 3f], obs);
            Assert.Equal((long)Math.Floor(env.Theta / CountAngle), env.EncoderCount);
            Assert.Equal(env.EncoderCount * CountAngle, env.MeasuredAngle);
            Assert.Equal((env.EncoderCount - before) * CountAngle / 0.01, env.MeasuredVelocity, 1e-12);
            Assert.Equal([(float)Math.Cos(env.MeasuredAngle), (float)Math.Sin(env.MeasuredAngle), (float)env.MeasuredVelocity], obs);
        }

        // Floor, not truncation: just below zero is count −1.
        env.SetState(-0.001, 0, 0);
        Assert.Equal(-1, env.EncoderCount);
    }

    [Fact]
    public void Exact_outputs_are_the_unquantized_state()
    {
        using var env = Started();
        ITraceReplayable twin = env;
        Assert.Equal(["th0", "thdot0", "i0"], twin.TraceSchema.StateColumns);
        Assert.Equal(["action"], twin.TraceSchema.ActionColumns);
        Assert.Equal(["cos", "sin", "thdot"], twin.TraceSchema.OutputColumns);
        twin.SetState([1.0, 2.0, 0.5]);
        Assert.Equal((1.0, 2.0, 0.5), (env.Theta, env.ThetaDot, env.Current));
        var outputs = new double[3];
        twin.WriteOutputs(outputs);
        Assert.Equal([Math.Cos(1.0), Math.Sin(1.0), 2.0], outputs);
        Assert.Throws<ArgumentException>(() => twin.SetState([1.0, 2.0]));
    }

    [Fact]
    public void Reward_is_computed_from_the_state_before_the_step_and_the_commanded_duty()
    {
        // θ = π/2, ω = 1, duty 0.5: cost = (π/2)² + 0.1·1² + 0.001·0.5² = 2.4674011002723395 + 0.10025.
        using var env = Started();
        env.SetState(Math.PI / 2, 1, 0);
        var r = env.Step([0.5f], new float[3]);
        Assert.Equal(-2.5676511002723394, r.Reward, 1e-12);

        // Angle wraps from upright: θ = 2π + 0.3 costs like 0.3; duty 5 is clipped to 1 (0.001·1).
        env.SetState(2 * Math.PI + 0.3, 0, 0);
        Assert.Equal(-(0.09 + 0.001), env.Step([5f], new float[3]).Reward, 1e-12);
        Assert.Equal(1.0, env.AppliedDuty);
    }

    [Fact]
    public void Truncates_at_max_episode_steps_and_never_terminates()
    {
        using var env = Started(new MotorPendulumParameters { MaxEpisodeSteps = 20 });
        var obs = new float[3];
        env.Reset(3, obs);
        for (var k = 1; k < 20; k++)
        {
            var r = env.Step([1f], obs);
            Assert.False(r.Terminated);
            Assert.False(r.Truncated, $"truncated early at step {k}");
        }
        var last = env.Step([1f], obs);
        Assert.True(last.Truncated);
        Assert.False(last.Terminated);
        Assert.Equal(20, env.ElapsedSteps);
    }

    [Fact]
    public void Reset_starts_hanging_down_with_a_small_disturbance()
    {
        using var env = Started(seed: 11);
        var obs = new float[3];
        for (var k = 0; k < 500; k++)
        {
            env.Reset(null, obs);
            Assert.InRange(env.Theta, Math.PI - 0.2, Math.PI + 0.2);
            Assert.InRange(env.ThetaDot, -0.5, 0.5);
            Assert.Equal(0.0, env.Current);
            Assert.Equal(0, env.ElapsedSteps);
            Assert.True(obs[0] < -0.97f, $"cos θ = {obs[0]} is not hanging down");
        }
    }

    [Fact]
    public void Seeded_resets_and_noisy_episodes_are_reproducible()
    {
        var noisy = new MotorPendulumParameters { AngleNoiseStd = 0.01, VelocityNoiseStd = 0.5, LatencyTicks = 1 };
        using var a = Started(noisy, seed: 100);
        using var b = Started(noisy, seed: 200);
        var obsA = new float[3];
        var obsB = new float[3];
        a.Reset(42, obsA);
        b.Reset(42, obsB);
        Assert.Equal(obsA, obsB);
        for (var k = 0; k < 100; k++)
        {
            a.Step([0.7f], obsA);
            b.Step([0.7f], obsB);
            Assert.Equal(obsA, obsB);
        }
        Assert.Equal(a.Theta, b.Theta);

        a.Reset(42, obsA);
        b.Reset(43, obsB);
        Assert.NotEqual(a.Theta, b.Theta);
    }

    [Fact]
    public void Velocity_noise_has_the_configured_spread()
    {
        // Locked shaft: the count never changes, so the observed velocity is pure noise N(0, 0.5²).
        using var env = Started(new MotorPendulumParameters { VelocityNoiseStd = 0.5, CoulombFriction = 1000 });
        env.SetState(Math.PI, 0, 0);
        var obs = new float[3];
        double sum = 0, sumSq = 0;
        const int n = 4000;
        for (var k = 0; k < n; k++)
        {
            env.Step([0f], obs);
            sum += env.MeasuredVelocity;
            sumSq += env.MeasuredVelocity * env.MeasuredVelocity;
        }
        var mean = sum / n;
        var std = Math.Sqrt(sumSq / n - mean * mean);
        Assert.InRange(mean, -0.05, 0.05);   // 4σ of the mean is 4·0.5/√4000 = 0.032
        Assert.InRange(std, 0.47, 0.53);
    }

    [Fact]
    public void NaN_duty_and_wrong_lengths_are_rejected()
    {
        using var env = Started();
        var obs = new float[3];
        env.Reset(1, obs);
        Assert.Throws<ArgumentException>(() => env.Step([float.NaN], obs));
        Assert.Throws<ArgumentException>(() => env.Step([0f, 0f], obs));
        Assert.Throws<ArgumentException>(() => env.Step([0f], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => env.SetState(0, 0, double.PositiveInfinity));
    }

    [Fact]
    public void Step_before_Reset_throws()
    {
        using var env = Started();
        var ex = Assert.Throws<InvalidOperationException>(() => env.Step([0f], new float[3]));
        Assert.Contains("Reset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_parameters_are_rejected_by_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MotorPendulumEnvironment(new MotorPendulumParameters { Resistance = 0 }));
        Assert.Equal("resistance must be finite and > 0 (got 0)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new MotorPendulumEnvironment(
            new MotorPendulumParameters { RotorInertia = 0, ArmMass = 0 }));
        Assert.Contains("inertia", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_does_not_allocate()
    {
        using var env = Started(new MotorPendulumParameters { AngleNoiseStd = 0.001, VelocityNoiseStd = 0.1, LatencyTicks = 3 });
        var obs = new float[3];
        var action = new float[] { 0.5f };
        env.Reset(1, obs);
        for (var k = 0; k < 1000; k++) env.Step(action, obs); // warm up the JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 5000; k++)
        {
            action[0] = (k % 5 - 2) / 2f;
            env.Step(action, obs);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
