using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Tests.MotorPendulum;

/// <summary>The motor, friction and gravity models against closed-form results.</summary>
public sealed class MotorPendulumPhysicsTests
{
    private static readonly MotorPendulumParameters Defaults = new();

    /// <summary>The motor alone: no arm, no friction, no gravity; rotor inertia 1e-5 so J = 900·1e-5 = 9e-3 kg·m².</summary>
    private static readonly MotorPendulumParameters MotorOnly = new()
    {
        ArmMass = 0,
        RodMass = 0,
        RotorInertia = 1e-5,
        CoulombFriction = 0,
        ViscousFriction = 0,
        Gravity = 0,
    };

    /// <summary>The arm alone: Kt = Ke = 0 (motor disconnected, no back-EMF braking), no friction.</summary>
    private static readonly MotorPendulumParameters FreeArm = new()
    {
        TorqueConstant = 0,
        BackEmfConstant = 0,
        CoulombFriction = 0,
        ViscousFriction = 0,
    };

    internal static MotorPendulumEnvironment Started(MotorPendulumParameters? parameters = null, ulong seed = 1)
    {
        var env = new MotorPendulumEnvironment(parameters, seed);
        env.Start();
        return env;
    }

    [Fact]
    public void Locked_shaft_current_reaches_V_over_R_with_the_implicit_electrical_step()
    {
        // Shaft held by a huge Coulomb friction, so ω stays 0 and back-EMF is 0. Backward Euler per sub-step
        // (h = 0.01/20 = 5e-4 s, h·R/L = 1): i' = (L·i + h·u)/(L + h·R) = (i + 6)/2, so from i = 0 after one tick
        // i = 6·(1 − 2⁻²⁰) = 5.999994277954102 A, after two 6·(1 − 2⁻⁴⁰); stall torque N·Kt·V/R = 0.6·6 = 3.6 N·m.
        using var env = Started(Defaults with { CoulombFriction = 1000 });
        env.SetState(Math.PI, 0, 0);
        var obs = new float[3];

        env.Step([1f], obs);
        Assert.Equal(5.999994277954102, env.Current, 1e-12);
        Assert.Equal(3.5999965667724605, env.OutputTorque, 1e-12);
        Assert.Equal(Math.PI, env.Theta);
        Assert.Equal(0.0, env.ThetaDot);

        env.Step([1f], obs);
        Assert.Equal(6 * (1 - Math.Pow(2, -40)), env.Current, 1e-12);
        Assert.Equal(Defaults.StallCurrent, env.Current, 1e-9);

        // Half duty reversed: −6 V → −3 A; from 6 A: 2⁻²⁰·6 + (1 − 2⁻²⁰)·(−3).
        env.Step([-0.5f], obs);
        Assert.Equal(-3 + 9 * Math.Pow(2, -20), env.Current, 1e-12);
    }

    [Fact]
    public void Free_motor_approaches_no_load_speed_with_the_two_pole_response()
    {
        // L·J·s² + R·J·s + N²·Kt·Ke = 0 with L = 1e-3, R = 2, J = 9e-3, N²·Kt·Ke = 0.36:
        //   s₁ = −20.204102886728784, s₂ = −1979.7958971132712 (mechanical τ ≈ R·J/(N²KtKe) = 50 ms, electrical 0.5 ms)
        //   ω(t)/ω_ss = 1 − (s₂·e^{s₁t} − s₁·e^{s₂t})/(s₂ − s₁) → 0.632101270591142 at t = 50 ms,
        //   ω_ss = V/(Ke·N) = 12/0.6 = 20 rad/s and i_ss = 0 (no load torque).
        using var env = Started(MotorOnly);
        env.SetState(0, 0, 0);
        var obs = new float[3];
        for (var k = 0; k < 5; k++) env.Step([1f], obs);
        Assert.Equal(0.632101270591142, env.ThetaDot / 20.0, 0.01 * 0.632);

        for (var k = 5; k < 100; k++) env.Step([1f], obs);
        Assert.Equal(20.0, MotorOnly.NoLoadSpeed, 1e-12);
        Assert.Equal(20.0, env.ThetaDot, 1e-6); // e^{−20.2·1 s} ≈ 2e-9 left of the transient
        Assert.Equal(0.0, env.Current, 1e-6);
    }

    [Fact]
    public void Viscous_and_Coulomb_friction_give_the_steady_state_speed_and_current()
    {
        // Steady state: R·i = V − Ke·N·ω and N·Kt·i = b·ω + τ_c, so
        //   ω_ss = (N·Kt·V/R − τ_c) / (b + N·Kt·Ke·N/R) = (0.6·6 − 0.02)/(0.01 + 0.36/2) = 3.58/0.19 = 18.842105263157894
        //   i_ss = (V − Ke·N·ω_ss)/R = 0.3473684210526322 A.
        // The implicit scheme has exactly this fixed point; τ = J/0.19 ≈ 47 ms, so 2 s is ~40 time constants.
        using var env = Started(MotorOnly with { ViscousFriction = 0.01, CoulombFriction = 0.02 });
        env.SetState(0, 0, 0);
        var obs = new float[3];
        for (var k = 0; k < 200; k++) env.Step([1f], obs);
        Assert.Equal(18.842105263157894, env.ThetaDot, 1e-9);
        Assert.Equal(0.3473684210526322, env.Current, 1e-9);
    }

    [Fact]
    public void Small_oscillation_period_matches_the_linearized_pendulum()
    {
        // J = N²·J_rotor + m·l² = 900·1e-6 + 0.2·0.04 = 8.9e-3, m·g·l = 0.3924:
        //   T = 2π·√(J/(m·g·l)) = 0.9462597607735833 s (amplitude 0.05 rad adds θ₀²/16 ≈ 1.6e-4 relative).
        using var env = Started(FreeArm);
        env.SetState(Math.PI + 0.05, 0, 0);
        var obs = new float[3];
        var crossings = new List<double>();
        var previous = env.Theta - Math.PI;
        for (var k = 1; k <= 400; k++)
        {
            env.Step([0f], obs);
            var x = env.Theta - Math.PI;
            if (previous > 0 != x > 0)
                crossings.Add((k - 1 + previous / (previous - x)) * 0.01); // linear interpolation inside the tick
            previous = x;
        }
        Assert.True(crossings.Count >= 7, $"only {crossings.Count} zero crossings");
        var period = 2 * (crossings[^1] - crossings[0]) / (crossings.Count - 1);
        Assert.Equal(0.9462597607735833, period, 0.01 * 0.946);
    }

    [Fact]
    public void Energy_of_the_free_arm_is_conserved_over_two_seconds()
    {
        // E = ½·J·ω² + m·g·l·cos θ (θ = 0 upright). Released horizontal, the arm swings through the bottom at
        // √(2·m·g·l/J) ≈ 9.4 rad/s; symplectic Euler keeps E within O(h) without drift.
        using var env = Started(FreeArm);
        env.SetState(Math.PI / 2, 0, 0);
        var j = FreeArm.TotalInertia;
        var mgl = FreeArm.GravityTorque;
        double Energy() => 0.5 * j * env.ThetaDot * env.ThetaDot + mgl * Math.Cos(env.Theta);
        var e0 = Energy();
        var obs = new float[3];
        var worst = 0.0;
        for (var k = 0; k < 200; k++)
        {
            env.Step([0f], obs);
            worst = Math.Max(worst, Math.Abs(Energy() - e0));
        }
        Assert.True(worst < 0.003 * mgl, $"energy error {worst} J against m·g·l = {mgl} J");
        Assert.True(Math.Abs(env.Theta - Math.PI) > 0.1 || Math.Abs(env.ThetaDot) > 1, "the arm should still swing");
    }

    [Fact]
    public void Coulomb_friction_holds_the_arm_when_gravity_torque_is_below_it()
    {
        // At θ = π + 0.1 gravity pulls with m·g·l·sin(0.1) = 0.039174632692215376 N·m. Motor at duty 0 with ω = 0
        // and i = 0 draws no current, so τ_c = 0.05 holds the arm exactly; τ_c = 0.03 does not.
        using (var held = Started(FreeArm with { CoulombFriction = 0.05 }))
        {
            held.SetState(Math.PI + 0.1, 0, 0);
            var obs = new float[3];
            for (var k = 0; k < 200; k++)
            {
                held.Step([0f], obs);
                Assert.Equal(Math.PI + 0.1, held.Theta);
                Assert.Equal(0.0, held.ThetaDot);
                Assert.Equal(0f, obs[2]);
            }
        }
        using var slips = Started(FreeArm with { CoulombFriction = 0.03 });
        slips.SetState(Math.PI + 0.1, 0, 0);
        slips.Step([0f], new float[3]);
        Assert.True(slips.ThetaDot < 0, $"gravity should turn the arm back down, ω = {slips.ThetaDot}");
    }

    [Fact]
    public void A_swinging_arm_comes_to_rest_without_chattering()
    {
        // Flung from the bottom at 2 rad/s against τ_c = 0.05 N·m, the arm decays and sticks where
        // |m·g·l·sin θ| ≤ τ_c; from then on ω is exactly 0 every tick (no sign flipping around zero).
        using var env = Started(FreeArm with { CoulombFriction = 0.05 });
        env.SetState(Math.PI, 2, 0);
        var obs = new float[3];
        for (var k = 0; k < 300; k++) env.Step([0f], obs);
        var rest = env.Theta;
        Assert.True(FreeArm.GravityTorque * Math.Abs(Math.Sin(rest)) <= 0.05 + 1e-12);
        for (var k = 0; k < 100; k++)
        {
            env.Step([0f], obs);
            Assert.Equal(0.0, env.ThetaDot);
            Assert.Equal(rest, env.Theta);
        }
    }

    [Fact]
    public void Latency_of_two_ticks_delays_the_duty_to_the_third_step()
    {
        // Locked shaft: the current is 0 until duty 1 is applied, then 6·(1 − 2⁻²⁰) as in the stall test.
        using var env = Started(Defaults with { CoulombFriction = 1000, LatencyTicks = 2 });
        env.SetState(Math.PI, 0, 0);
        var obs = new float[3];

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
        env.SetState(Math.PI, 0, 0);
        env.Step([1f], obs);
        Assert.Equal(0.0, env.AppliedDuty);
        Assert.Equal(0.0, env.Current);
    }

    [Fact]
    public void Without_latency_the_duty_acts_at_once()
    {
        using var env = Started(Defaults with { CoulombFriction = 1000 });
        env.SetState(Math.PI, 0, 0);
        env.Step([1f], new float[3]);
        Assert.Equal(1.0, env.AppliedDuty);
        Assert.Equal(5.999994277954102, env.Current, 1e-12);
    }

    [Fact]
    public void Zero_inductance_is_integrated_without_instability()
    {
        // L = 0 makes the current algebraic, i = (u − Ke·N·ω)/R; the implicit step handles it exactly.
        using var env = Started(Defaults with { Inductance = 0, CoulombFriction = 1000 });
        env.SetState(Math.PI, 0, 0);
        env.Step([1f], new float[3]);
        Assert.Equal(6.0, env.Current, 1e-12);
    }
}
