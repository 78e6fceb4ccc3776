using System.Text.Json.Serialization;
using static RoboDdpg.Sim.ParameterChecks;

namespace RoboDdpg.Sim.MotorPendulum;

/// <summary>
/// Physical and sensing parameters of the DC-motor pendulum arm, in SI units. The defaults describe a small
/// hobby robot: a 12 V brushed motor with a 30:1 gearbox swinging a 0.2 kg mass on a 0.2 m arm, read by a
/// 2048-count (after quadrature) encoder at the output shaft, controlled at 100 Hz.
/// </summary>
/// <remarks>
/// JSON files use the snake_case names (e.g. <c>supply_voltage</c>); a missing field keeps its default, an
/// unknown one is an error (a misspelt field would otherwise silently keep the default).
/// </remarks>
public sealed record MotorPendulumParameters
{
    /// <summary>H-bridge supply in V; terminal voltage u = duty · SupplyVoltage.</summary>
    public double SupplyVoltage { get; init; } = 12.0;

    /// <summary>Armature resistance R in Ω.</summary>
    public double Resistance { get; init; } = 2.0;

    /// <summary>Armature inductance L in H. 0 is allowed (the current integration is implicit).</summary>
    public double Inductance { get; init; } = 1e-3;

    /// <summary>Torque constant Kt in N·m/A at the motor shaft. 0 models a disconnected motor.</summary>
    public double TorqueConstant { get; init; } = 0.02;

    /// <summary>Back-EMF constant Ke in V·s/rad at the motor shaft (equals Kt in SI for an ideal motor).</summary>
    public double BackEmfConstant { get; init; } = 0.02;

    /// <summary>Gear ratio N: motor speed = N · output speed, output torque = N · motor torque (lossless).</summary>
    public double GearRatio { get; init; } = 30.0;

    /// <summary>Rotor inertia in kg·m² at the motor shaft; reflected to the output as N² · J_rotor.</summary>
    public double RotorInertia { get; init; } = 1e-6;

    /// <summary>Point mass m at the arm tip, kg.</summary>
    public double ArmMass { get; init; } = 0.2;

    /// <summary>Arm length l, pivot to tip, m.</summary>
    public double ArmLength { get; init; } = 0.2;

    /// <summary>Mass of the uniform rod from pivot to tip, kg (inertia m_r·l²/3, centre of mass at l/2).</summary>
    public double RodMass { get; init; }

    /// <summary>Gravitational acceleration g in m/s².</summary>
    public double Gravity { get; init; } = 9.81;

    /// <summary>Coulomb (dry) friction torque τ_c at the output shaft, N·m.</summary>
    public double CoulombFriction { get; init; } = 0.01;

    /// <summary>Viscous friction b at the output shaft, N·m·s/rad.</summary>
    public double ViscousFriction { get; init; } = 0.001;

    /// <summary>Encoder counts per output revolution, after quadrature decoding.</summary>
    public int EncoderCountsPerRevolution { get; init; } = 2048;

    /// <summary>Std of Gaussian noise added to the angle before quantization, rad (0 = exact encoder).</summary>
    public double AngleNoiseStd { get; init; }

    /// <summary>Std of Gaussian noise added to the finite-difference velocity, rad/s.</summary>
    public double VelocityNoiseStd { get; init; }

    /// <summary>Actuation latency k in control ticks: the duty applied at step t is the one commanded at t − k.</summary>
    public int LatencyTicks { get; init; }

    /// <summary>
    /// Appends the duty commanded at the previous step (0 after a reset) to the observation as <c>last_duty</c>.
    /// With actuation latency the state is not Markov in (cos θ, sin θ, θ̇) alone: the command still in flight
    /// decides the next torque, and a policy that cannot see it overcorrects. A robot description observes the
    /// same value with <c>{ "action": "duty" }</c>.
    /// </summary>
    public bool ObserveLastDuty { get; init; }

    /// <summary>Control period in s (one <c>Step</c>).</summary>
    public double ControlPeriod { get; init; } = 0.01;

    /// <summary>Integration sub-steps per control period.</summary>
    public int IntegrationSubsteps { get; init; } = 20;

    /// <summary>Time limit in steps (truncation).</summary>
    public int MaxEpisodeSteps { get; init; } = 500;

    /// <summary>Output speed clip in rad/s for the physics (sanity) and the velocity observation bounds.</summary>
    public double MaxSpeed { get; init; } = 40.0;

    /// <summary>J_total = N²·J_rotor + m·l² + m_r·l²/3, kg·m², at the output shaft.</summary>
    [JsonIgnore]
    public double TotalInertia =>
        GearRatio * GearRatio * RotorInertia + ArmMass * ArmLength * ArmLength + RodMass * ArmLength * ArmLength / 3.0;

    /// <summary>Peak gravity torque (m + m_r/2)·g·l in N·m, reached with the arm horizontal.</summary>
    [JsonIgnore]
    public double GravityTorque => (ArmMass + RodMass / 2.0) * Gravity * ArmLength;

    /// <summary>Free-running output speed V/(Ke·N) without load or friction, rad/s.</summary>
    [JsonIgnore]
    public double NoLoadSpeed => SupplyVoltage / (BackEmfConstant * GearRatio);

    /// <summary>Stall current V/R in A.</summary>
    [JsonIgnore]
    public double StallCurrent => SupplyVoltage / Resistance;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field (by its JSON name).</summary>
    public void Validate()
    {
        Positive(SupplyVoltage, "supply_voltage");
        Positive(Resistance, "resistance");
        NonNegative(Inductance, "inductance");
        NonNegative(TorqueConstant, "torque_constant");
        NonNegative(BackEmfConstant, "back_emf_constant");
        Positive(GearRatio, "gear_ratio");
        NonNegative(RotorInertia, "rotor_inertia");
        NonNegative(ArmMass, "arm_mass");
        Positive(ArmLength, "arm_length");
        NonNegative(RodMass, "rod_mass");
        NonNegative(Gravity, "gravity");
        NonNegative(CoulombFriction, "coulomb_friction");
        NonNegative(ViscousFriction, "viscous_friction");
        InRange(EncoderCountsPerRevolution, 1, 1 << 30, "encoder_counts_per_revolution");
        NonNegative(AngleNoiseStd, "angle_noise_std");
        NonNegative(VelocityNoiseStd, "velocity_noise_std");
        InRange(LatencyTicks, 0, 1000, "latency_ticks");
        Positive(ControlPeriod, "control_period");
        InRange(IntegrationSubsteps, 1, 10_000, "integration_substeps");
        InRange(MaxEpisodeSteps, 1, int.MaxValue, "max_episode_steps");
        Positive(MaxSpeed, "max_speed");
        // Zero inertia would make the mechanics an algebraic equation the integrator cannot step.
        if (!(TotalInertia > 0))
            throw new ArgumentException("total inertia (rotor_inertia, arm_mass, rod_mass) must be > 0");
    }

    /// <summary>Reads and validates a parameter file.</summary>
    /// <exception cref="ParameterFileException">Missing file, bad JSON, unknown field or invalid value (one-line message).</exception>
    public static MotorPendulumParameters Load(string path) =>
        Parse(ConfigFileException.ReadText(path, (problem, e) => new ParameterFileException(path, problem, e)), path);

    /// <summary>Parses and validates parameter JSON; <paramref name="path"/> names its origin in error messages.</summary>
    /// <exception cref="ParameterFileException">Bad JSON, unknown field or invalid value (one-line message).</exception>
    public static MotorPendulumParameters Parse(string text, string path) =>
        TwinParameterJson.Parse<MotorPendulumParameters>(text, path, (problem, e) => new ParameterFileException(path, problem, e), p => p.Validate());

    /// <summary>The parameters as the indented JSON <see cref="Save"/> writes (for atomic writes by the caller).</summary>
    public string ToJson() => TwinParameterJson.Serialize(this);

    /// <summary>Writes the parameters as indented JSON (all fields, so the file documents every default), atomically.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Core.IO.AtomicFile.WriteAllText(path, ToJson());
    }
}
