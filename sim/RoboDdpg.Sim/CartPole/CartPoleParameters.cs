using System.Globalization;
using System.Text.Json.Serialization;
using RoboDdpg.Core.IO;
using RoboDdpg.Sim.Motors;
using static RoboDdpg.Sim.ParameterChecks;

namespace RoboDdpg.Sim.CartPole;

/// <summary>
/// Physical, sensing and task parameters of the belt-driven cart-pole, in SI units. The defaults describe a
/// bench build: a 12 V brushed motor with a 3:1 gearbox turns a 15 mm-radius belt pulley (GT2-style belt) that pulls
/// a 0.5 kg carriage along a rail with 1 m of travel between end stops; a 0.1 kg, 0.5 m uniform rod hangs from a
/// pivot on the carriage. A 2048-count encoder on the motor shaft gives the cart position, a 2400-count (600-line,
/// quadrature) encoder on the pivot the pole angle; control at 100 Hz.
/// </summary>
/// <remarks>
/// JSON files use the snake_case names (e.g. <c>pulley_radius</c>); a missing field keeps its default, an unknown
/// one is an error.
/// </remarks>
public sealed record CartPoleParameters
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

    /// <summary>Gear ratio N between motor and pulley: motor speed = N · pulley speed (lossless).</summary>
    public double GearRatio { get; init; } = 3.0;

    /// <summary>Rotor (plus pulley, referred to the motor shaft) inertia in kg·m²; moves with the cart as J·(N/r)².</summary>
    public double RotorInertia { get; init; } = 1e-6;

    /// <summary>Belt pulley pitch radius r in m: cart position = r · pulley angle.</summary>
    public double PulleyRadius { get; init; } = 0.015;

    /// <summary>Carriage mass in kg, including the belt and the pole's pivot hardware.</summary>
    public double CartMass { get; init; } = 0.5;

    /// <summary>Coulomb (dry) friction force of the carriage on the rail, N.</summary>
    public double CartCoulombFriction { get; init; } = 0.3;

    /// <summary>Viscous friction of the carriage on the rail, N·s/m.</summary>
    public double CartViscousFriction { get; init; } = 0.2;

    /// <summary>Travel of the carriage between the end stops, m: x ∈ [−rail_length/2, rail_length/2], 0 = centre.</summary>
    public double RailLength { get; init; } = 1.0;

    /// <summary>Mass of the uniform rod from the pivot to its tip, kg (inertia m·l²/3 about the pivot, centre of mass at l/2).</summary>
    public double PoleMass { get; init; } = 0.1;

    /// <summary>Pole length l, pivot to tip, m.</summary>
    public double PoleLength { get; init; } = 0.5;

    /// <summary>Point mass at the tip of the pole, kg.</summary>
    public double TipMass { get; init; }

    /// <summary>Coulomb friction torque of the pivot, N·m.</summary>
    public double PivotCoulombFriction { get; init; } = 1e-3;

    /// <summary>Viscous friction of the pivot, N·m·s/rad.</summary>
    public double PivotViscousFriction { get; init; } = 1e-4;

    /// <summary>Gravitational acceleration g in m/s².</summary>
    public double Gravity { get; init; } = 9.81;

    /// <summary>Counts per motor-shaft revolution of the motor encoder (after quadrature); the cart position sensor.</summary>
    public int MotorEncoderCountsPerRevolution { get; init; } = 2048;

    /// <summary>Counts per revolution of the pole encoder on the pivot (after quadrature).</summary>
    public int PoleEncoderCountsPerRevolution { get; init; } = 2400;

    /// <summary>Std of Gaussian noise added to the cart position before quantization, m.</summary>
    public double PositionNoiseStd { get; init; }

    /// <summary>Std of Gaussian noise added to the pole angle before quantization, rad.</summary>
    public double AngleNoiseStd { get; init; }

    /// <summary>Std of Gaussian noise added to the finite-difference cart velocity, m/s.</summary>
    public double CartVelocityNoiseStd { get; init; }

    /// <summary>Std of Gaussian noise added to the finite-difference pole velocity, rad/s.</summary>
    public double PoleVelocityNoiseStd { get; init; }

    /// <summary>Actuation latency k in control ticks: the duty applied at step t is the one commanded at t − k.</summary>
    public int LatencyTicks { get; init; }

    /// <summary>Control period in s (one <c>Step</c>).</summary>
    public double ControlPeriod { get; init; } = 0.01;

    /// <summary>Integration sub-steps per control period.</summary>
    public int IntegrationSubsteps { get; init; } = 20;

    /// <summary>Time limit in steps (truncation).</summary>
    public int MaxEpisodeSteps { get; init; } = 500;

    /// <summary>Bound of the cart-velocity observation, m/s (the measured velocity is clipped to it).</summary>
    public double MaxCartSpeed { get; init; } = 5.0;

    /// <summary>Bound of the pole-velocity observation, rad/s (the measured velocity is clipped to it).</summary>
    public double MaxPoleSpeed { get; init; } = 30.0;

    /// <summary>Subtracted from the reward of the step in which the cart reaches an end stop (which terminates the episode).</summary>
    public double EndStopPenalty { get; init; } = 50.0;

    /// <summary>The motor's electrics (V, R, L, Kt, Ke).</summary>
    [JsonIgnore]
    public DcMotor Motor => new(SupplyVoltage, Resistance, Inductance, TorqueConstant, BackEmfConstant);

    /// <summary>Motor-shaft radians per metre of cart travel, N/r.</summary>
    [JsonIgnore]
    public double MotorRadiansPerMetre => GearRatio / PulleyRadius;

    /// <summary>Force on the cart per ampere, Kt·N/r, N/A.</summary>
    [JsonIgnore]
    public double ForceConstant => TorqueConstant * MotorRadiansPerMetre;

    /// <summary>Back-EMF per unit cart speed, Ke·N/r, V·s/m.</summary>
    [JsonIgnore]
    public double BackEmfPerSpeed => BackEmfConstant * MotorRadiansPerMetre;

    /// <summary>The cart's translating mass without the pole: cart + rotor inertia reflected through pulley and gears, J·(N/r)², kg.</summary>
    [JsonIgnore]
    public double CartMovingMass => CartMass + RotorInertia * MotorRadiansPerMetre * MotorRadiansPerMetre;

    /// <summary>Pole mass (rod + tip), kg.</summary>
    [JsonIgnore]
    public double PoleTotalMass => PoleMass + TipMass;

    /// <summary>First moment of the pole about the pivot, m·l_c = m_rod·l/2 + m_tip·l, kg·m.</summary>
    [JsonIgnore]
    public double PoleFirstMoment => (PoleMass / 2.0 + TipMass) * PoleLength;

    /// <summary>Pole inertia about the pivot, m_rod·l²/3 + m_tip·l², kg·m².</summary>
    [JsonIgnore]
    public double PoleInertia => (PoleMass / 3.0 + TipMass) * PoleLength * PoleLength;

    /// <summary>Force on the held cart at full duty, Kt·(N/r)·V/R, N.</summary>
    [JsonIgnore]
    public double StallForce => ForceConstant * SupplyVoltage / Resistance;

    /// <summary>Cart speed at full duty without load or friction, V/(Ke·N/r), m/s.</summary>
    [JsonIgnore]
    public double NoLoadSpeed => SupplyVoltage / BackEmfPerSpeed;

    /// <summary>Half the rail travel: the end stops are at ±RailHalfLength, m.</summary>
    [JsonIgnore]
    public double RailHalfLength => RailLength / 2.0;

    /// <summary>Cart travel per motor-encoder count, 2π·r/(N·CPR), m.</summary>
    [JsonIgnore]
    public double CartCountLength => 2 * Math.PI * PulleyRadius / (GearRatio * MotorEncoderCountsPerRevolution);

    /// <summary>Pole angle per pole-encoder count, 2π/CPR, rad.</summary>
    [JsonIgnore]
    public double PoleCountAngle => 2 * Math.PI / PoleEncoderCountsPerRevolution;

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
        Positive(PulleyRadius, "pulley_radius");
        NonNegative(CartMass, "cart_mass");
        NonNegative(CartCoulombFriction, "cart_coulomb_friction");
        NonNegative(CartViscousFriction, "cart_viscous_friction");
        Positive(RailLength, "rail_length");
        NonNegative(PoleMass, "pole_mass");
        Positive(PoleLength, "pole_length");
        NonNegative(TipMass, "tip_mass");
        NonNegative(PivotCoulombFriction, "pivot_coulomb_friction");
        NonNegative(PivotViscousFriction, "pivot_viscous_friction");
        NonNegative(Gravity, "gravity");
        InRange(MotorEncoderCountsPerRevolution, 1, 1 << 30, "motor_encoder_counts_per_revolution");
        InRange(PoleEncoderCountsPerRevolution, 1, 1 << 30, "pole_encoder_counts_per_revolution");
        NonNegative(PositionNoiseStd, "position_noise_std");
        NonNegative(AngleNoiseStd, "angle_noise_std");
        NonNegative(CartVelocityNoiseStd, "cart_velocity_noise_std");
        NonNegative(PoleVelocityNoiseStd, "pole_velocity_noise_std");
        InRange(LatencyTicks, 0, 1000, "latency_ticks");
        Positive(ControlPeriod, "control_period");
        InRange(IntegrationSubsteps, 1, 10_000, "integration_substeps");
        InRange(MaxEpisodeSteps, 1, int.MaxValue, "max_episode_steps");
        Positive(MaxCartSpeed, "max_cart_speed");
        Positive(MaxPoleSpeed, "max_pole_speed");
        NonNegative(EndStopPenalty, "end_stop_penalty");
        // The mass matrix [[M + m, S·cos φ], [S·cos φ, I]] is positive definite iff M > 0 and I > 0 (m·I ≥ S² always):
        // without either the mechanics is an algebraic equation the integrator cannot step.
        if (!(CartMovingMass > 0))
            throw new ArgumentException("cart moving mass (cart_mass, rotor_inertia) must be > 0");
        if (!(PoleInertia > 0))
            throw new ArgumentException("pole inertia (pole_mass, tip_mass) must be > 0");
    }

    /// <summary>Reads and validates a parameter file.</summary>
    /// <exception cref="CartPoleParameterFileException">Missing file, bad JSON, unknown field or invalid value (one-line message).</exception>
    public static CartPoleParameters Load(string path) =>
        Parse(ConfigFileException.ReadText(path, (problem, e) => new CartPoleParameterFileException(path, problem, e)), path);

    /// <summary>Parses and validates parameter JSON; <paramref name="path"/> names its origin in error messages.</summary>
    /// <exception cref="CartPoleParameterFileException">Bad JSON, unknown field or invalid value (one-line message).</exception>
    public static CartPoleParameters Parse(string text, string path) =>
        TwinParameterJson.Parse<CartPoleParameters>(text, path, (problem, e) => new CartPoleParameterFileException(path, problem, e), p => p.Validate());

    /// <summary>Writes the parameters as indented JSON (all fields, so the file documents every default), atomically.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.WriteAllText(path, TwinParameterJson.Serialize(this));
    }
}

/// <summary>A cart-pole parameter file that cannot be used: missing, not JSON, an unknown field, or an invalid value.</summary>
public sealed class CartPoleParameterFileException(string path, string problem, Exception? inner = null)
    : ConfigFileException(path, problem, inner);
