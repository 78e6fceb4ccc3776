using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.CartPole;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Tests.CartPole;

/// <summary>Spec, sensing, reward, episodes and the environment contract of the belt-driven cart-pole.</summary>
public sealed class BeltCartPoleEnvironmentTests
{
    private const double CountLength = 1.533980787885641e-05;  // 2π·0.015/(3·2048) m
    private const double CountAngle = 0.002617993877991494;    // 2π/2400 rad

    private static BeltCartPoleEnvironment Started(CartPoleParameters? parameters = null, ulong seed = 1) =>
        CartPolePhysicsTests.Started(parameters, seed);

    [Fact]
    public void Spec_describes_duty_in_and_encoder_readings_out()
    {
        using var env = new BeltCartPoleEnvironment();
        var spec = env.Spec;
        Assert.Equal("belt-cartpole", spec.Name);
        Assert.Equal(["cart_position", "cart_velocity", "cos_phi", "sin_phi", "phi_dot"], spec.Observation.Names);
        Assert.Equal([-0.5f, -5f, -1f, -1f, -30f], spec.Observation.Low);
        Assert.Equal([0.5f, 5f, 1f, 1f, 30f], spec.Observation.High);
        Assert.Equal(["duty"], spec.Action.Names);
        Assert.Equal([-1f], spec.Action.Low);
        Assert.Equal([1f], spec.Action.High);
        Assert.Equal([0f], spec.SafeAction);
        Assert.Equal(0.01, spec.ControlPeriodSeconds);
        Assert.Equal(500, spec.MaxEpisodeSteps);
    }

    [Fact]
    public void Registry_creates_the_default_twin_and_takes_a_parameter_file()
    {
        using (var env = EnvironmentRegistry.Create("belt-cartpole"))
        {
            Assert.IsType<BeltCartPoleEnvironment>(env);
            Assert.Equal(new CartPoleParameters(), ((BeltCartPoleEnvironment)env).Parameters);
        }
        Assert.Contains("belt-cartpole", EnvironmentRegistry.Names);

        using (var env = EnvironmentRegistry.Create("belt-cartpole", new TwinSettings(new TwinFile("p.json", "{ \"pole_length\": 0.3 }"))))
            Assert.Equal(new CartPoleParameters { PoleLength = 0.3 }, ((BeltCartPoleEnvironment)env).Parameters);

        var bad = Assert.Throws<CartPoleParameterFileException>(() =>
            EnvironmentRegistry.Create("belt-cartpole", new TwinSettings(new TwinFile("p.json", "{ \"pole_lenght\": 0.3 }"))));
        Assert.Equal("p.json: unknown field 'pole_lenght'", bad.Message);
        var refused = Assert.Throws<ArgumentException>(() =>
            EnvironmentRegistry.Create("belt-cartpole", new TwinSettings(Randomization: new TwinFile("r.json", "{}"))));
        Assert.Contains("no randomization", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoders_report_whole_counts_and_velocities_as_their_finite_differences()
    {
        // SetState(x = 0.1, v = 0.5, φ = 1.0, ω = 2.0):
        //   cart: floor(0.1/Δx) = floor(6518.986…) = 6518 → 0.09998486775438607 m; the previous reading at
        //         0.1 − 0.5·0.01 = 0.095 is floor(6193.037…) = 6193, so ẋ = 325·Δx/0.01 = 0.49854375606283335 m/s;
        //   pole: floor(1.0/Δφ) = floor(381.97…) = 381 → 0.9974556675147592 rad; previous at 0.98 → 374, so
        //         φ̇ = 7·Δφ/0.01 = 1.8325957145940457 rad/s.
        using var env = Started();
        env.SetState(0.1, 0.5, 1.0, 2.0, 0);
        Assert.Equal(6518, env.CartEncoderCount);
        Assert.Equal(0.09998486775438607, env.MeasuredCartPosition, 1e-15);
        Assert.Equal(0.49854375606283335, env.MeasuredCartVelocity, 1e-12);
        Assert.Equal(381, env.PoleEncoderCount);
        Assert.Equal(0.9974556675147592, env.MeasuredPoleAngle, 1e-15);
        Assert.Equal(1.8325957145940457, env.MeasuredPoleVelocity, 1e-12);

        env.SetState(0, 0, Math.PI, 0, 0);
        var obs = new float[5];
        for (var k = 0; k < 50; k++)
        {
            var (cartBefore, poleBefore) = (env.CartEncoderCount, env.PoleEncoderCount);
            env.Step([(k % 7 - 3) / 3f], obs);
            Assert.Equal((long)Math.Floor(env.CartPosition / CountLength), env.CartEncoderCount);
            Assert.Equal((long)Math.Floor(env.PoleAngle / CountAngle), env.PoleEncoderCount);
            Assert.Equal((env.CartEncoderCount - cartBefore) * CountLength / 0.01, env.MeasuredCartVelocity, 1e-12);
            Assert.Equal((env.PoleEncoderCount - poleBefore) * CountAngle / 0.01, env.MeasuredPoleVelocity, 1e-12);
            Assert.Equal(
                [(float)env.MeasuredCartPosition, (float)env.MeasuredCartVelocity, (float)Math.Cos(env.MeasuredPoleAngle),
                    (float)Math.Sin(env.MeasuredPoleAngle), (float)env.MeasuredPoleVelocity],
                obs);
        }

        // Floor, not truncation: just left of the centre is count −1; −0.3 m is floor(−19556.96) = −19557.
        env.SetState(-1e-9, 0, -1e-9, 0, 0);
        Assert.Equal((-1L, -1L), (env.CartEncoderCount, env.PoleEncoderCount));
        env.SetState(-0.3, 0, 0, 0, 0);
        Assert.Equal(-19557, env.CartEncoderCount);
    }

    [Fact]
    public void A_coarse_encoder_hides_motion_below_one_count()
    {
        // 4 counts per motor revolution: Δx = 2π·0.015/12 = 7.85 mm. Creeping 1 mm/s for 0.2 s moves 0.2 mm — same count.
        using var env = Started(new CartPoleParameters { MotorEncoderCountsPerRevolution = 4, CartCoulombFriction = 0, CartViscousFriction = 0, TorqueConstant = 0, BackEmfConstant = 0 });
        env.SetState(0.001, 0.001, Math.PI, 0, 0);
        var obs = new float[5];
        for (var k = 0; k < 20; k++)
        {
            env.Step([0f], obs);
            Assert.Equal(0, env.CartEncoderCount);
            Assert.Equal(0f, obs[0]);
            Assert.Equal(0f, obs[1]);
        }
        Assert.True(env.CartPosition > 0.0011);
    }

    [Fact]
    public void Exact_outputs_are_the_unquantized_state()
    {
        using var env = Started();
        ITraceReplayable twin = env;
        Assert.Equal(["x0", "xdot0", "phi0", "phidot0", "i0"], twin.TraceSchema.StateColumns);
        Assert.Equal(["action"], twin.TraceSchema.ActionColumns);
        Assert.Equal(["x", "xdot", "cos", "sin", "phidot"], twin.TraceSchema.OutputColumns);
        twin.SetState([0.1, -0.2, 1.0, 2.0, 0.5]);
        Assert.Equal((0.1, -0.2, 1.0, 2.0, 0.5), (env.CartPosition, env.CartVelocity, env.PoleAngle, env.PoleAngularVelocity, env.Current));
        var outputs = new double[5];
        twin.WriteOutputs(outputs);
        Assert.Equal([0.1, -0.2, Math.Cos(1.0), Math.Sin(1.0), 2.0], outputs);
        Assert.Throws<ArgumentException>(() => twin.SetState([1.0, 2.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => env.SetState(0.51, 0, 0, 0, 0)); // beyond the stop
    }

    [Fact]
    public void Reward_is_computed_from_the_state_before_the_step_and_the_commanded_duty()
    {
        // x = 0.25, φ = π/3, ω = 0, duty 0.5: (1 + 0.5)/2 − 0.1·0.5² − 0.001·0.25 = 0.75 − 0.025 − 0.00025 = 0.72475.
        using var env = Started();
        env.SetState(0.25, 0, Math.PI / 3, 0, 0);
        Assert.Equal(0.72475, env.Step([0.5f], new float[5]).Reward, 1e-12);

        // Balanced at the centre is the best there is: 1 − 0.001·duty²; duty 5 is clipped to 1.
        env.SetState(0, 0, 2 * Math.PI, 0, 0);
        Assert.Equal(1 - 0.001, env.Step([5f], new float[5]).Reward, 1e-12);
        Assert.Equal(1.0, env.AppliedDuty);

        // Hanging at rest at the centre earns nothing; swinging through the bottom at 2 rad/s costs 0.01·2².
        env.SetState(0, 0, Math.PI, 0, 0);
        Assert.Equal(0.0, env.Step([0f], new float[5]).Reward, 1e-12);
        env.SetState(0, 0, Math.PI, 2, 0);
        Assert.Equal(-0.04, env.Step([0f], new float[5]).Reward, 1e-12);
        Assert.Equal(-0.04, env.Reward(0, Math.PI, -2, 0), 1e-12);
    }

    [Fact]
    public void Truncates_at_max_episode_steps_without_terminating()
    {
        using var env = Started(new CartPoleParameters { MaxEpisodeSteps = 20 });
        var obs = new float[5];
        env.Reset(3, obs);
        for (var k = 1; k < 20; k++)
        {
            var r = env.Step([0.05f], obs);
            Assert.False(r.Terminated);
            Assert.False(r.Truncated, $"truncated early at step {k}");
        }
        var last = env.Step([0.05f], obs);
        Assert.True(last.Truncated);
        Assert.False(last.Terminated);
        Assert.Equal(20, env.ElapsedSteps);
    }

    [Fact]
    public void Reset_starts_hanging_near_the_centre_with_a_small_disturbance()
    {
        using var env = Started(seed: 11);
        var obs = new float[5];
        for (var k = 0; k < 500; k++)
        {
            env.Reset(null, obs);
            Assert.InRange(env.PoleAngle, Math.PI - 0.1, Math.PI + 0.1);
            Assert.InRange(env.PoleAngularVelocity, -0.5, 0.5);
            Assert.InRange(env.CartPosition, -0.05, 0.05);
            Assert.Equal(0.0, env.CartVelocity);
            Assert.Equal(0.0, env.Current);
            Assert.Equal(0, env.ElapsedSteps);
            Assert.True(obs[2] < -0.99f, $"cos φ = {obs[2]} is not hanging down");
        }
    }

    [Fact]
    public void Seeded_resets_and_noisy_episodes_are_reproducible()
    {
        var noisy = new CartPoleParameters
        {
            PositionNoiseStd = 1e-4, AngleNoiseStd = 0.01, CartVelocityNoiseStd = 0.05, PoleVelocityNoiseStd = 0.5, LatencyTicks = 1,
        };
        using var a = Started(noisy, seed: 100);
        using var b = Started(noisy, seed: 200);
        var obsA = new float[5];
        var obsB = new float[5];
        a.Reset(42, obsA);
        b.Reset(42, obsB);
        Assert.Equal(obsA, obsB);
        for (var k = 0; k < 100; k++)
        {
            var duty = (float)Math.Sin(k * 0.2);
            Assert.Equal(a.Step([duty], obsA), b.Step([duty], obsB));
            Assert.Equal(obsA, obsB);
        }
        Assert.Equal((a.CartPosition, a.PoleAngle), (b.CartPosition, b.PoleAngle));

        a.Reset(42, obsA);
        b.Reset(43, obsB);
        Assert.NotEqual(a.PoleAngle, b.PoleAngle);
    }

    [Fact]
    public void Velocity_noise_has_the_configured_spread()
    {
        // Held cart and pole: the counts never change, so the observed velocities are pure noise.
        using var env = Started(new CartPoleParameters
        {
            CartVelocityNoiseStd = 0.05, PoleVelocityNoiseStd = 0.5, CartCoulombFriction = 1000, PivotCoulombFriction = 1000,
        });
        env.SetState(0, 0, Math.PI + 0.3, 0, 0);
        var obs = new float[5];
        double sumX = 0, sumSqX = 0, sumP = 0, sumSqP = 0;
        const int n = 4000;
        for (var k = 0; k < n; k++)
        {
            env.Step([0f], obs);
            sumX += env.MeasuredCartVelocity;
            sumSqX += env.MeasuredCartVelocity * env.MeasuredCartVelocity;
            sumP += env.MeasuredPoleVelocity;
            sumSqP += env.MeasuredPoleVelocity * env.MeasuredPoleVelocity;
        }
        // 4σ of the mean is 4·σ/√4000 = 0.063·σ; the sample std of 4000 draws is within ±6% of σ far beyond 4σ.
        Assert.InRange(sumX / n, -0.0032, 0.0032);
        Assert.InRange(Math.Sqrt(sumSqX / n - sumX / n * (sumX / n)), 0.047, 0.053);
        Assert.InRange(sumP / n, -0.032, 0.032);
        Assert.InRange(Math.Sqrt(sumSqP / n - sumP / n * (sumP / n)), 0.47, 0.53);
    }

    [Fact]
    public void Position_and_angle_noise_move_the_counts()
    {
        using var env = Started(new CartPoleParameters
        {
            PositionNoiseStd = 1e-3, AngleNoiseStd = 0.01, CartCoulombFriction = 1000, PivotCoulombFriction = 1000,
        });
        env.SetState(0, 0, Math.PI, 0, 0);
        var obs = new float[5];
        var cartCounts = new HashSet<long>();
        var poleCounts = new HashSet<long>();
        for (var k = 0; k < 200; k++)
        {
            env.Step([0f], obs);
            cartCounts.Add(env.CartEncoderCount);
            poleCounts.Add(env.PoleEncoderCount);
            Assert.InRange(env.MeasuredCartPosition, -0.006, 0.006);                 // 6σ
            Assert.InRange(env.MeasuredPoleAngle, Math.PI - 0.06 - CountAngle, Math.PI + 0.06);
        }
        Assert.True(cartCounts.Count > 20 && poleCounts.Count > 5, $"{cartCounts.Count} cart and {poleCounts.Count} pole counts seen");
    }

    [Fact]
    public void NaN_duty_and_wrong_lengths_are_rejected()
    {
        using var env = Started();
        var obs = new float[5];
        env.Reset(1, obs);
        Assert.Throws<ArgumentException>(() => env.Step([float.NaN], obs));
        Assert.Throws<ArgumentException>(() => env.Step([0f, 0f], obs));
        Assert.Throws<ArgumentException>(() => env.Step([0f], new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => env.SetState(0, 0, 0, 0, double.NaN));
    }

    [Fact]
    public void Step_before_Reset_throws()
    {
        using var env = Started();
        var ex = Assert.Throws<InvalidOperationException>(() => env.Step([0f], new float[5]));
        Assert.Contains("Reset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_parameters_are_rejected_by_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BeltCartPoleEnvironment(new CartPoleParameters { PulleyRadius = 0 }));
        Assert.Equal("pulley_radius must be finite and > 0 (got 0)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new BeltCartPoleEnvironment(new CartPoleParameters { PoleMass = 0, TipMass = 0 }));
        Assert.Contains("pole inertia", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new BeltCartPoleEnvironment(new CartPoleParameters { CartMass = 0, RotorInertia = 0 }));
        Assert.Contains("cart moving mass", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_does_not_allocate()
    {
        using var env = Started(new CartPoleParameters
        {
            PositionNoiseStd = 1e-4, AngleNoiseStd = 0.001, CartVelocityNoiseStd = 0.01, PoleVelocityNoiseStd = 0.1, LatencyTicks = 3,
        });
        var obs = new float[5];
        var action = new float[] { 0.5f };
        env.Reset(1, obs);
        for (var k = 0; k < 1000; k++) env.Step(action, obs); // warm up the JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 5000; k++)
        {
            action[0] = (k % 5 - 2) / 2f;
            if (env.Step(action, obs).Terminated) env.SetState(0, 0, Math.PI, 0, 0);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
