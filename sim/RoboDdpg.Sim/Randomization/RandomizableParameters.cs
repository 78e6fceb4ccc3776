using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Randomization;

/// <summary>
/// The motor-pendulum parameters a randomization config may name (their JSON names), in the canonical order used
/// for sampling and for log columns. Timing, episode length, speed clip and encoder resolution are left out: they
/// define the spec or the observation grid, which must be the same for every episode.
/// </summary>
public static class RandomizableParameters
{
    private sealed record Entry(
        string Name,
        bool IsInteger,
        Func<MotorPendulumParameters, double> Get,
        Func<MotorPendulumParameters, double, MotorPendulumParameters> Set);

    private static readonly Entry[] Entries =
    [
        new("supply_voltage", false, p => p.SupplyVoltage, (p, v) => p with { SupplyVoltage = v }),
        new("resistance", false, p => p.Resistance, (p, v) => p with { Resistance = v }),
        new("inductance", false, p => p.Inductance, (p, v) => p with { Inductance = v }),
        // Kt and Ke are one physical constant in SI (an ideal motor): Ke keeps its base ratio to Kt (1 by default),
        // or equals Kt when the base Kt is 0. Randomizing them independently would create a motor that makes energy.
        new("torque_constant", false, p => p.TorqueConstant, (p, v) => p with
        {
            TorqueConstant = v,
            BackEmfConstant = p.TorqueConstant > 0 ? p.BackEmfConstant * (v / p.TorqueConstant) : v,
        }),
        new("gear_ratio", false, p => p.GearRatio, (p, v) => p with { GearRatio = v }),
        new("rotor_inertia", false, p => p.RotorInertia, (p, v) => p with { RotorInertia = v }),
        new("arm_mass", false, p => p.ArmMass, (p, v) => p with { ArmMass = v }),
        new("arm_length", false, p => p.ArmLength, (p, v) => p with { ArmLength = v }),
        new("rod_mass", false, p => p.RodMass, (p, v) => p with { RodMass = v }),
        new("gravity", false, p => p.Gravity, (p, v) => p with { Gravity = v }),
        new("coulomb_friction", false, p => p.CoulombFriction, (p, v) => p with { CoulombFriction = v }),
        new("viscous_friction", false, p => p.ViscousFriction, (p, v) => p with { ViscousFriction = v }),
        new("angle_noise_std", false, p => p.AngleNoiseStd, (p, v) => p with { AngleNoiseStd = v }),
        new("velocity_noise_std", false, p => p.VelocityNoiseStd, (p, v) => p with { VelocityNoiseStd = v }),
        new("latency_ticks", true, p => p.LatencyTicks, (p, v) => p with { LatencyTicks = checked((int)v) }),
    ];

    /// <summary>All names, in canonical order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Entries, e => e.Name);

    public static bool IsKnown(string name) => Array.FindIndex(Entries, e => e.Name == name) >= 0;

    /// <summary>Position in the canonical order; −1 for an unknown name.</summary>
    public static int IndexOf(string name) => Array.FindIndex(Entries, e => e.Name == name);

    public static bool IsInteger(string name) => Find(name).IsInteger;

    /// <summary>The parameter's value in <paramref name="parameters"/>.</summary>
    public static double Get(MotorPendulumParameters parameters, string name) => Find(name).Get(parameters);

    /// <summary>A copy of <paramref name="parameters"/> with the named parameter set (Ke follows Kt).</summary>
    public static MotorPendulumParameters With(MotorPendulumParameters parameters, string name, double value) =>
        Find(name).Set(parameters, value);

    private static Entry Find(string name) =>
        Array.Find(Entries, e => e.Name == name) ?? throw new ArgumentException($"unknown parameter '{name}'", nameof(name));
}
