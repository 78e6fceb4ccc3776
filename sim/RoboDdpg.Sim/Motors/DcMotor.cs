namespace RoboDdpg.Sim.Motors;

/// <summary>
/// Electrics of a brushed DC motor on an H-bridge, at the motor shaft:
/// <c>L·di/dt = u − R·i − Ke·ω</c> and torque <c>Kt·i</c>, with terminal voltage <c>u = duty · V_supply</c>
/// (duty 0 shorts the terminals, so a turning motor brakes). Gearing and loads belong to the twin that uses it.
/// </summary>
/// <param name="SupplyVoltage">H-bridge supply V in volts.</param>
/// <param name="Resistance">Armature resistance R in Ω (&gt; 0).</param>
/// <param name="Inductance">Armature inductance L in H (≥ 0; 0 makes the current algebraic).</param>
/// <param name="TorqueConstant">Kt in N·m/A.</param>
/// <param name="BackEmfConstant">Ke in V·s/rad.</param>
public readonly record struct DcMotor(
    double SupplyVoltage,
    double Resistance,
    double Inductance,
    double TorqueConstant,
    double BackEmfConstant)
{
    /// <summary>Current with the shaft held, V/R, in A.</summary>
    public double StallCurrent => SupplyVoltage / Resistance;

    /// <summary>Shaft torque with the shaft held, Kt·V/R, in N·m.</summary>
    public double StallTorque => TorqueConstant * SupplyVoltage / Resistance;

    /// <summary>Shaft speed at full duty with no load and no friction, V/Ke, in rad/s (infinite when Ke = 0).</summary>
    public double NoLoadSpeed => SupplyVoltage / BackEmfConstant;

    /// <summary>The backward-Euler current update for sub-steps of <paramref name="step"/> seconds.</summary>
    public ImplicitCurrentStep CurrentStep(double step) => new(this, step);
}

/// <summary>
/// One backward-Euler step of the armature circuit over h, implicit in the current and in the end-of-step shaft
/// speed ω′: <c>L·(i′ − i) = h·(u − R·i′ − Ke·ω′)</c>, i.e. <c>i′ = FreeCurrent(i, u) − SpeedGain·ω′</c>.
/// A mechanical integrator substitutes this into its own implicit velocity update, so back-EMF becomes a damping
/// term it solves for exactly: stable for any L (including 0) and with exact steady states.
/// </summary>
public readonly struct ImplicitCurrentStep
{
    private readonly double _inductance;
    private readonly double _step;
    private readonly double _inverseDenominator;

    public ImplicitCurrentStep(DcMotor motor, double step)
    {
        if (!(step > 0) || !double.IsFinite(step))
            throw new ArgumentOutOfRangeException(nameof(step), step, "must be finite and > 0");
        _inductance = motor.Inductance;
        _step = step;
        _inverseDenominator = 1.0 / (motor.Inductance + step * motor.Resistance);
        SpeedGain = step * motor.BackEmfConstant * _inverseDenominator;
    }

    /// <summary>c = h·Ke/(L + h·R): how much the end-of-step current drops per rad/s of shaft speed, A·s/rad.</summary>
    public double SpeedGain { get; }

    /// <summary>a = (L·i + h·u)/(L + h·R): the end-of-step current if the shaft stood still, A.</summary>
    public double FreeCurrent(double current, double voltage) => (_inductance * current + _step * voltage) * _inverseDenominator;
}
