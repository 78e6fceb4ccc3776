using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.CartPole;

namespace RoboDdpg.Sim.Tests.CartPole;

/// <summary>
/// The belt drive, friction, pole and end-stop models against closed-form results. Defaults: G = N/r = 3/0.015 =
/// 200 rad/m, force constant Kt·G = 4 N/A, back-EMF Ke·G = 4 V·s/m, cart moving mass M = 0.5 + 1e-6·200² = 0.54 kg,
/// pole m = 0.1 kg, S = m·l/2 = 0.025 kg·m, I = m·l²/3 = 1/120 kg·m².
/// </summary>
public sealed class CartPolePhysicsTests
{
    private static readonly CartPoleParameters Defaults = new();

    /// <summary>Motor alone on a long rail: no friction, the pole locked to the cart by a huge pivot friction.</summary>
    private static readonly CartPoleParameters LongRailRigidPole = new()
    {
        RailLength = 20,
        CartCoulombFriction = 0,
        CartViscousFriction = 0,
        PivotCoulombFriction = 10,
    };

    /// <summary>Mechanics alone: motor disconnected (Kt = Ke = 0, so no back-EMF braking), no friction anywhere.</summary>
    private static readonly CartPoleParameters Frictionless = new()
    {
        TorqueConstant = 0,
        BackEmfConstant = 0,
        CartCoulombFriction = 0,
        CartViscousFriction = 0,
        PivotCoulombFriction = 0,
        PivotViscousFriction = 0,
    };

    internal static BeltCartPoleEnvironment Started(CartPoleParameters? parameters = null, ulong seed = 1)
    {
        var env = new BeltCartPoleEnvironment(parameters, seed);
        env.Start();
        return env;
    }

    [Fact]
    public void Derived_constants_of_the_defaults()
    {
        Assert.Equal(200.0, Defaults.MotorRadiansPerMetre, 1e-12);
        Assert.Equal(4.0, Defaults.ForceConstant, 1e-12);
        Assert.Equal(4.0, Defaults.BackEmfPerSpeed, 1e-12);
        Assert.Equal(0.54, Defaults.CartMovingMass, 1e-12);
        Assert.Equal(0.025, Defaults.PoleFirstMoment, 1e-15);
        Assert.Equal(1.0 / 120, Defaults.PoleInertia, 1e-15);
        Assert.Equal(24.0, Defaults.StallForce, 1e-12);   // 4 N/A · 12 V / 2 Ω
        Assert.Equal(3.0, Defaults.NoLoadSpeed, 1e-12);   // 12 V / 4 V·s/m
        Assert.Equal(2 * Math.PI * 0.015 / (3 * 2048), Defaults.CartCountLength, 1e-18);
        Assert.Equal(0.5, Defaults.RailHalfLength);
    }

    [Fact]
    public void Held_cart_gets_the_stall_force_with_the_implicit_electrical_step()
    {
        // Cart held by a 1000 N Coulomb friction, so v stays 0 and back-EMF is 0. Backward Euler per sub-step
        // (h = 0.01/20 = 5e-4 s, h·R/L = 1): i' = (L·i + h·u)/(L + h·R) = (i + 6)/2, so from i = 0 after one tick
        // i = 6·(1 − 2⁻²⁰) = 5.999994277954102 A and the force 4 N/A times that; stall force Kt·(N/r)·V/R = 24 N.
        using var env = Started(Defaults with { CartCoulombFriction = 1000 });
        env.SetState(0.1, 0, Math.PI, 0, 0);
        var obs = new float[5];

        env.Step([1f], obs);
        Assert.Equal(5.999994277954102, env.Current, 1e-12);
        Assert.Equal(23.999977111816406, env.MotorForce, 1e-12);
        Assert.Equal(0.1, env.CartPosition);
        Assert.Equal(0.0, env.CartVelocity);
        Assert.Equal(Math.PI, env.PoleAngle);
        Assert.Equal(0.0, env.PoleAngularVelocity);

        env.Step([1f], obs);
        Assert.Equal(6 * (1 - Math.Pow(2, -40)), env.Current, 1e-12);
        Assert.Equal(Defaults.StallForce, env.MotorForce, 1e-9);

        // Half duty reversed: −6 V → −3 A; from 6 A: 2⁻²⁰·6 + (1 − 2⁻²⁰)·(−3).
        env.Step([-0.5f], obs);
        Assert.Equal(-3 + 9 * Math.Pow(2, -20), env.Current, 1e-12);
    }

    [Fact]
    public void Free_cart_approaches_the_no_load_speed_with_the_two_pole_response()
    {
        // Cart and locked pole translate as one mass M_t = 0.64 kg. L·M_t·s² + R·M_t·s + (Kt·G)(Ke·G) = 0 with
        // L = 1e-3, R = 2, (Kt·G)(Ke·G) = 16: s₁ = −12.579117093425122, s₂ = −1987.420882906575 (mechanical
        // τ ≈ R·M_t/16 = 80 ms, electrical 0.5 ms); v(t)/v_ss = 1 − (s₂·e^{s₁t} − s₁·e^{s₂t})/(s₂ − s₁) =
        // 0.6321131587232016 at t = 80 ms; v_ss = V/(Ke·N/r) = 12/4 = 3 m/s, i_ss = 0 (no load).
        using var env = Started(LongRailRigidPole);
        env.SetState(-9.5, 0, Math.PI, 0, 0);
        var obs = new float[5];
        for (var k = 0; k < 8; k++) env.Step([1f], obs);
        Assert.Equal(0.6321131587232016, env.CartVelocity / 3.0, 0.01 * 0.632);

        for (var k = 8; k < 200; k++) env.Step([1f], obs);
        Assert.Equal(3.0, env.CartVelocity, 1e-9); // e^{−12.58·2 s} ≈ 1e-11 of the transient is left
        Assert.Equal(0.0, env.Current, 1e-9);
        Assert.Equal(Math.PI, env.PoleAngle);      // the pivot friction held the pole through the acceleration
    }

    [Theory]
    [InlineData(1.0, 2.8902439024390247, 0.21951219512195053)]
    [InlineData(0.5, 1.4268292682926829, 0.14634146341463428)]
    [InlineData(-1.0, -2.8902439024390247, -0.21951219512195053)]
    public void Constant_duty_against_viscous_and_Coulomb_friction_gives_the_steady_state(double duty, double speed, double current)
    {
        // Steady state: R·i = duty·V − Ke·G·v and Kt·G·i = b·v + F_c·sign(v), so with b = 0.2 N·s/m, F_c = 0.3 N
        //   v_ss = (Kt·G·duty·V/R − F_c)/(b + Kt·G·Ke·G/R) = (24·duty − 0.3)/8.2, i_ss = (duty·V − 4·v_ss)/R.
        // The implicit scheme has exactly this fixed point; τ = 0.64/8.2 ≈ 78 ms, so 2 s is ~25 time constants.
        using var env = Started(LongRailRigidPole with { CartViscousFriction = 0.2, CartCoulombFriction = 0.3 });
        env.SetState(0, 0, Math.PI, 0, 0);
        var obs = new float[5];
        for (var k = 0; k < 200; k++) env.Step([(float)duty], obs);
        Assert.Equal(speed, env.CartVelocity, 1e-9);
        Assert.Equal(current, env.Current, 1e-9);
    }

    [Fact]
    public void Small_oscillation_period_with_the_cart_held_is_the_compound_pendulum()
    {
        // Cart held by a 1000 N Coulomb friction: I·δ̈ = −S·g·δ, T = 2π·√(I/(S·g)) = 2π·√(2l/(3g)) = 1.1582031381206312 s
        // (amplitude 0.05 rad adds θ₀²/16 ≈ 1.6e-4 relative).
        var period = MeasurePeriod(Frictionless with { CartCoulombFriction = 1000 }, heldCart: true);
        Assert.Equal(1.1582031381206312, period, 0.002 * 1.158);
    }

    [Fact]
    public void Small_oscillation_period_with_a_free_cart_includes_the_cart_recoil()
    {
        // Free cart: linearised about the hanging pole, (M + m)·ẍ − S·δ̈ = 0 and −S·ẍ + I·δ̈ = −S·g·δ, so the pole
        // sees I − S²/(M + m) = 1/120 − 0.025²/0.64 = 0.007356770833333333 kg·m²:
        // T = 2π·√((I − S²/(M + m))/(S·g)) = 1.088225690108064 s, 6% shorter than with the cart held.
        var period = MeasurePeriod(Frictionless, heldCart: false);
        Assert.Equal(1.088225690108064, period, 0.002 * 1.088);
    }

    private static double MeasurePeriod(CartPoleParameters parameters, bool heldCart)
    {
        using var env = Started(parameters);
        env.SetState(0, 0, Math.PI + 0.05, 0, 0);
        var obs = new float[5];
        var crossings = new List<double>();
        var previous = env.PoleAngle - Math.PI;
        for (var k = 1; k <= 500; k++)
        {
            env.Step([0f], obs);
            if (heldCart) Assert.Equal(0.0, env.CartPosition);
            var x = env.PoleAngle - Math.PI;
            if (previous > 0 != x > 0)
                crossings.Add((k - 1 + previous / (previous - x)) * 0.01); // linear interpolation inside the tick
            previous = x;
        }
        Assert.True(crossings.Count >= 8, $"only {crossings.Count} zero crossings");
        if (!heldCart) Assert.True(Math.Abs(env.CartPosition) > 1e-4, "a free cart should recoil");
        return 2 * (crossings[^1] - crossings[0]) / (crossings.Count - 1);
    }

    [Fact]
    public void Energy_and_momentum_of_the_free_cart_pole_are_conserved()
    {
        // E = ½(M + m)·v² + S·cos φ·v·ω + ½·I·ω² + S·g·cos φ and P = (M + m)·v + S·cos φ·ω (no horizontal force).
        // Released horizontal, the pole swings through the bottom at
        // ω = √(2·S·g/(I − S²/(M + m))) ≈ 8.2 rad/s. The scheme is first order: gravity and the centripetal term are
        // taken at the start of each sub-step with the mass matrix there, so E and P carry an O(h) error (measured
        // at h = 0.5 ms: 0.25% of S·g after 3 s, growing slowly to 0.5% after 10 s; both halve with h, see the next
        // test). The 1% bound leaves a 4× margin and fails on a wrong coupling or a missing term, which violate
        // conservation at first order in the motion rather than in h.
        var (energy, momentum) = WorstConservationErrors(Frictionless, seconds: 3);
        var sg = Frictionless.PoleFirstMoment * Frictionless.Gravity;
        Assert.True(energy < 0.01 * sg, $"energy error {energy} J against S·g = {sg} J");
        Assert.True(momentum < 0.01 * Frictionless.PoleFirstMoment * 8.2, $"momentum error {momentum} kg·m/s");
    }

    [Fact]
    public void Energy_error_is_first_order_in_the_sub_step()
    {
        var (coarse, _) = WorstConservationErrors(Frictionless, seconds: 2);
        var (fine, _) = WorstConservationErrors(Frictionless with { IntegrationSubsteps = 40 }, seconds: 2);
        Assert.InRange(coarse / fine, 1.7, 2.3);
    }

    private static (double Energy, double Momentum) WorstConservationErrors(CartPoleParameters p, double seconds)
    {
        using var env = Started(p);
        env.SetState(0, 0, Math.PI / 2, 0, 0);
        var mass = p.CartMovingMass + p.PoleTotalMass;
        var s = p.PoleFirstMoment;
        double Energy() => 0.5 * mass * env.CartVelocity * env.CartVelocity
            + s * Math.Cos(env.PoleAngle) * env.CartVelocity * env.PoleAngularVelocity
            + 0.5 * p.PoleInertia * env.PoleAngularVelocity * env.PoleAngularVelocity
            + s * p.Gravity * Math.Cos(env.PoleAngle);
        double Momentum() => mass * env.CartVelocity + s * Math.Cos(env.PoleAngle) * env.PoleAngularVelocity;
        var e0 = Energy();
        var p0 = Momentum();
        var obs = new float[5];
        double worstEnergy = 0, worstMomentum = 0;
        var steps = (int)Math.Round(seconds / p.ControlPeriod);
        for (var k = 0; k < steps; k++)
        {
            var result = env.Step([0f], obs);
            Assert.False(result.Terminated);
            worstEnergy = Math.Max(worstEnergy, Math.Abs(Energy() - e0));
            worstMomentum = Math.Max(worstMomentum, Math.Abs(Momentum() - p0));
        }
        Assert.True(Math.Abs(Math.Cos(env.PoleAngle)) < 0.99 || Math.Abs(env.PoleAngularVelocity) > 1, "the pole should still swing");
        return (worstEnergy, worstMomentum);
    }

    [Fact]
    public void Coulomb_friction_holds_cart_and_pole_below_their_limits()
    {
        // Pole at π + 0.1 (hanging, tilted): gravity torque S·g·sin(0.1) = 0.024481... N·m. With the pivot holding
        // 0.03 N·m and the cart 0.3 N (the reaction the pole puts on the cart is far below that), nothing moves.
        using (var held = Started(Frictionless with { PivotCoulombFriction = 0.03, CartCoulombFriction = 0.3 }))
        {
            held.SetState(0.2, 0, Math.PI + 0.1, 0, 0);
            var obs = new float[5];
            for (var k = 0; k < 100; k++)
            {
                held.Step([0f], obs);
                Assert.Equal(0.2, held.CartPosition);
                Assert.Equal(Math.PI + 0.1, held.PoleAngle);
                Assert.Equal(0.0, held.CartVelocity);
                Assert.Equal(0.0, held.PoleAngularVelocity);
                Assert.Equal(0f, obs[1]);
                Assert.Equal(0f, obs[4]);
            }
        }
        using var slips = Started(Frictionless with { PivotCoulombFriction = 0.02, CartCoulombFriction = 0.3 });
        slips.SetState(0.2, 0, Math.PI + 0.1, 0, 0);
        slips.Step([0f], new float[5]);
        Assert.True(slips.PoleAngularVelocity < 0, $"gravity should turn the pole back down, ω = {slips.PoleAngularVelocity}");
    }

    [Fact]
    public void A_swinging_pole_and_its_cart_come_to_rest_without_chattering()
    {
        // Pushed at 0.5 m/s with the pole swinging at 3 rad/s, against the default rail friction and the braking
        // motor (duty 0) and a pivot friction of 0.01 N·m (the amplitude shrinks by 4·τ_p/(S·g) ≈ 0.16 rad per
        // swing): within 10 s both stick, the pole where |S·g·sin φ| ≤ τ_p, and from then on nothing moves.
        var parameters = Defaults with { PivotCoulombFriction = 0.01 };
        using var env = Started(parameters);
        env.SetState(0, 0.5, Math.PI, 3, 0);
        var obs = new float[5];
        for (var k = 0; k < 1000; k++) env.Step([0f], obs);
        var (x, phi) = (env.CartPosition, env.PoleAngle);
        Assert.True(parameters.PoleFirstMoment * parameters.Gravity * Math.Abs(Math.Sin(phi)) <= parameters.PivotCoulombFriction + 1e-12);
        for (var k = 0; k < 100; k++)
        {
            env.Step([0f], obs);
            Assert.Equal(0.0, env.CartVelocity);
            Assert.Equal(0.0, env.PoleAngularVelocity);
            Assert.Equal((x, phi), (env.CartPosition, env.PoleAngle));
        }
    }

    [Fact]
    public void Reaching_an_end_stop_terminates_with_the_penalty_and_stops_the_cart()
    {
        // Cart at 0.49 m moving at 1 m/s with full duty towards the stop at 0.5 m: it gets there within the tick.
        // The reward is that of the state before the step, (1 + cos π)/2 − 0.1·(0.49/0.5)² − 0.001 = −0.09704,
        // minus the 50 penalty.
        using var env = Started();
        env.SetState(0.49, 1.0, Math.PI, 0, 0);
        var result = env.Step([1f], new float[5]);
        Assert.True(result.Terminated);
        Assert.False(result.Truncated);
        Assert.Equal(-0.09704 - 50, result.Reward, 1e-9);
        Assert.Equal(0.5, env.CartPosition);
        Assert.Equal(0.0, env.CartVelocity);

        // The same at the other end, and with a custom penalty.
        using var other = Started(Defaults with { EndStopPenalty = 7 });
        other.SetState(-0.49, -1.0, Math.PI, 0, 0);
        var r = other.Step([-1f], new float[5]);
        Assert.True(r.Terminated);
        Assert.Equal(-0.09704 - 7, r.Reward, 1e-9);
        Assert.Equal(-0.5, other.CartPosition);
    }

    [Fact]
    public void Leaving_an_end_stop_or_driving_short_of_it_does_not_terminate()
    {
        using var env = Started();
        var obs = new float[5];
        env.SetState(0.5, 0, Math.PI, 0, 0);
        var away = env.Step([-1f], obs);
        Assert.False(away.Terminated);
        Assert.True(env.CartPosition < 0.5);

        env.SetState(0.3, 0, Math.PI, 0, 0);
        for (var k = 0; k < 3; k++) Assert.False(env.Step([0.3f], obs).Terminated);
        Assert.InRange(env.CartPosition, 0.3, 0.5);
    }

    [Fact]
    public void The_end_stop_impulse_kicks_the_pole_through_the_coupling()
    {
        // No gravity, friction or motor: the cart and hanging pole drift at 1 m/s, with nothing accelerating them,
        // until the 20th sub-step crosses 0.5 m. The stop removes v = 1 with an impulse on the cart; the pole row of
        // the mass matrix, S·cos φ·Δv + I·Δω = 0, gives Δω = S·cos π·1/I = −0.025·120 = −3 rad/s.
        using var env = Started(Frictionless with { Gravity = 0 });
        env.SetState(0.5 - 0.0099, 1.0, Math.PI, 0, 0);
        var result = env.Step([0f], new float[5]);
        Assert.True(result.Terminated);
        Assert.Equal(0.5, env.CartPosition);
        Assert.Equal(0.0, env.CartVelocity);
        Assert.Equal(-3.0, env.PoleAngularVelocity, 1e-9);
        Assert.Equal(Math.PI, env.PoleAngle, 1e-12);
    }

    [Fact]
    public void Latency_of_two_ticks_delays_the_duty_to_the_third_step()
    {
        // Held cart: the current is 0 until duty 1 is applied, then 6·(1 − 2⁻²⁰) as in the stall test.
        using var env = Started(Defaults with { CartCoulombFriction = 1000, LatencyTicks = 2 });
        env.SetState(0, 0, Math.PI, 0, 0);
        var obs = new float[5];

        env.Step([1f], obs);
        Assert.Equal(0.0, env.AppliedDuty);
        Assert.Equal(0.0, env.Current);
        env.Step([1f], obs);
        Assert.Equal(0.0, env.AppliedDuty);
        Assert.Equal(0.0, env.Current);
        env.Step([-0.5f], obs);
        Assert.Equal(1.0, env.AppliedDuty);
        Assert.Equal(5.999994277954102, env.Current, 1e-12);
        env.Step([0f], obs);
        Assert.Equal(1.0, env.AppliedDuty);
        env.Step([0f], obs);
        Assert.Equal(-0.5, env.AppliedDuty);

        // SetState refills the queue with the safe duty.
        env.SetState(0, 0, Math.PI, 0, 0);
        env.Step([1f], obs);
        Assert.Equal(0.0, env.AppliedDuty);
        Assert.Equal(0.0, env.Current);
    }

    [Fact]
    public void Without_latency_the_duty_acts_at_once()
    {
        using var env = Started(Defaults with { CartCoulombFriction = 1000 });
        env.SetState(0, 0, Math.PI, 0, 0);
        env.Step([1f], new float[5]);
        Assert.Equal(1.0, env.AppliedDuty);
        Assert.Equal(5.999994277954102, env.Current, 1e-12);
    }

    [Fact]
    public void Zero_inductance_is_integrated_without_instability()
    {
        // L = 0 makes the current algebraic, i = (u − Ke·G·v)/R; the implicit step handles it exactly.
        using var env = Started(Defaults with { Inductance = 0, CartCoulombFriction = 1000 });
        env.SetState(0, 0, Math.PI, 0, 0);
        env.Step([1f], new float[5]);
        Assert.Equal(6.0, env.Current, 1e-12);

        using var moving = Started(LongRailRigidPole with { Inductance = 0 });
        moving.SetState(-9.5, 0, Math.PI, 0, 0);
        var obs = new float[5];
        for (var k = 0; k < 200; k++) moving.Step([1f], obs);
        Assert.Equal(3.0, moving.CartVelocity, 1e-9);
    }
}
