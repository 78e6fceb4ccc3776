using RoboDdpg.Sim.Motors;

namespace RoboDdpg.Sim.Tests.Motors;

public sealed class DcMotorTests
{
    private static readonly DcMotor Motor = new(SupplyVoltage: 12, Resistance: 2, Inductance: 1e-3, TorqueConstant: 0.02, BackEmfConstant: 0.025);

    [Fact]
    public void Stall_and_no_load_figures()
    {
        Assert.Equal(6.0, Motor.StallCurrent);
        Assert.Equal(0.12, Motor.StallTorque, 1e-15);   // Kt·V/R
        Assert.Equal(480.0, Motor.NoLoadSpeed, 1e-12);  // V/Ke
    }

    [Fact]
    public void Current_step_is_backward_Euler_in_current_and_speed()
    {
        // h = 5e-4: L + h·R = 2e-3. a = (1e-3·i + 5e-4·u)/2e-3, c = 5e-4·0.025/2e-3 = 6.25e-3 A·s/rad.
        var step = Motor.CurrentStep(5e-4);
        Assert.Equal(6.25e-3, step.SpeedGain, 1e-18);
        Assert.Equal((1e-3 * 2 + 5e-4 * 12) / 2e-3, step.FreeCurrent(2, 12), 1e-12); // 4 A
        // The update satisfies L·(i′ − i) = h·(u − R·i′ − Ke·ω′) for any end-of-step speed ω′.
        const double i = 1.5, u = -7, omega = 123;
        var next = step.FreeCurrent(i, u) - step.SpeedGain * omega;
        Assert.Equal(5e-4 * (u - 2 * next - 0.025 * omega), 1e-3 * (next - i), 1e-15);
    }

    [Fact]
    public void Zero_inductance_gives_the_algebraic_current()
    {
        var step = (Motor with { Inductance = 0 }).CurrentStep(1e-3);
        Assert.Equal(6.0, step.FreeCurrent(123, 12), 1e-12);         // the old current does not matter
        Assert.Equal(0.025 / 2, step.SpeedGain, 1e-15);              // i = (u − Ke·ω)/R
        Assert.Throws<ArgumentOutOfRangeException>(() => Motor.CurrentStep(0));
    }
}
