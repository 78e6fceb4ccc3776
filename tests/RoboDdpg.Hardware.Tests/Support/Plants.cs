using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.Support;

internal static class Plants
{
    /// <summary>The default motor pendulum (12 V, 30:1, 0.2 kg at 0.2 m) on a fake clock.</summary>
    public static MotorPendulumPlant Create(FakeClock clock, double theta = Math.PI, MotorPendulumParameters? parameters = null) =>
        new(parameters ?? new MotorPendulumParameters(), clock, theta);

    /// <summary>Advances the fake clock by <paramref name="seconds"/>.</summary>
    public static void Advance(this FakeClock clock, double seconds) => clock.Advance((long)Math.Round(seconds * 1e9));

    /// <summary>Percentile of sorted values (nearest rank).</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
