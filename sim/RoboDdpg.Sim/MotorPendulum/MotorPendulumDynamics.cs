namespace RoboDdpg.Sim.MotorPendulum;

/// <summary>
/// The continuous-time state of the motor pendulum (θ, ω, i) and its fixed-step integrator, without sensing, task or
/// episodes: shared by the twin (<see cref="MotorPendulumEnvironment"/>) and by device emulators that advance the
/// physics in real time. The scheme is described in the <see cref="MotorPendulumEnvironment"/> remarks.
/// </summary>
public sealed class MotorPendulumDynamics
{
    private readonly MotorPendulumParameters _p;

    public MotorPendulumDynamics(MotorPendulumParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        _p = parameters;
    }

    public MotorPendulumParameters Parameters => _p;

    /// <summary>Angle in rad, 0 = upright, counter-clockwise positive, not wrapped.</summary>
    public double Theta { get; private set; }

    /// <summary>Output-shaft speed in rad/s.</summary>
    public double Omega { get; private set; }

    /// <summary>Armature current in A.</summary>
    public double Current { get; private set; }

    /// <summary>Torque the motor puts on the output shaft, N·Kt·i, in N·m.</summary>
    public double OutputTorque => _p.GearRatio * _p.TorqueConstant * Current;

    /// <summary>Places the plant in an exact state.</summary>
    public void SetState(double theta, double omega, double current)
    {
        if (!double.IsFinite(theta)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "must be finite");
        if (!double.IsFinite(omega)) throw new ArgumentOutOfRangeException(nameof(omega), omega, "must be finite");
        if (!double.IsFinite(current)) throw new ArgumentOutOfRangeException(nameof(current), current, "must be finite");
        Theta = theta;
        Omega = omega;
        Current = current;
    }

    /// <summary>One control period (<c>IntegrationSubsteps</c> sub-steps) with terminal voltage <paramref name="voltage"/>.</summary>
    public void Integrate(double voltage) => Integrate(voltage, _p.ControlPeriod, _p.IntegrationSubsteps);

    /// <summary>
    /// Advances <paramref name="duration"/> seconds in <paramref name="substeps"/> equal sub-steps with terminal
    /// voltage <paramref name="voltage"/> (u = duty · V_supply; 0 shorts the terminals, i.e. brakes).
    /// </summary>
    public void Integrate(double voltage, double duration, int substeps)
    {
        if (substeps < 1) throw new ArgumentOutOfRangeException(nameof(substeps), substeps, "must be ≥ 1");
        if (!(duration >= 0)) throw new ArgumentOutOfRangeException(nameof(duration), duration, "must be ≥ 0");
        if (duration == 0) return;
        var p = _p;
        var h = duration / substeps;
        var nKt = p.GearRatio * p.TorqueConstant;
        var keN = p.BackEmfConstant * p.GearRatio;
        var j = p.TotalInertia;
        var gravityTorque = p.GravityTorque;
        var frictionImpulse = h * p.CoulombFriction;
        var denominator = p.Inductance + h * p.Resistance;
        var c = h * keN / denominator;
        var effectiveInertia = j + h * p.ViscousFriction + h * nKt * c;

        var theta = Theta;
        var omega = Omega;
        var current = Current;
        for (var k = 0; k < substeps; k++)
        {
            var a = (p.Inductance * current + h * voltage) / denominator;
            var momentum = j * omega + h * (nKt * a + gravityTorque * Math.Sin(theta));
            if (Math.Abs(momentum) <= frictionImpulse)
                omega = 0; // static friction holds: exactly at rest, no chatter around zero
            else
                omega = (momentum - Math.CopySign(frictionImpulse, momentum)) / effectiveInertia;
            omega = Math.Clamp(omega, -p.MaxSpeed, p.MaxSpeed);
            current = a - c * omega;
            theta += h * omega;
        }
        Theta = theta;
        Omega = omega;
        Current = current;
    }

    /// <summary>
    /// Advances <paramref name="duration"/> seconds with a torque source on the output shaft instead of the motor
    /// electrics (a current-controlled drive such as an ODrive sets the torque directly; the armature current is then
    /// <paramref name="torque"/>/(N·Kt)). Same friction and gravity treatment as <see cref="Integrate(double, double, int)"/>.
    /// </summary>
    public void IntegrateTorque(double torque, double duration, int substeps)
    {
        if (substeps < 1) throw new ArgumentOutOfRangeException(nameof(substeps), substeps, "must be ≥ 1");
        if (!(duration >= 0)) throw new ArgumentOutOfRangeException(nameof(duration), duration, "must be ≥ 0");
        if (duration == 0) return;
        var p = _p;
        var h = duration / substeps;
        var j = p.TotalInertia;
        var frictionImpulse = h * p.CoulombFriction;
        var effectiveInertia = j + h * p.ViscousFriction;
        var theta = Theta;
        var omega = Omega;
        for (var k = 0; k < substeps; k++)
        {
            var momentum = j * omega + h * (torque + p.GravityTorque * Math.Sin(theta));
            omega = Math.Abs(momentum) <= frictionImpulse ? 0 : (momentum - Math.CopySign(frictionImpulse, momentum)) / effectiveInertia;
            omega = Math.Clamp(omega, -p.MaxSpeed, p.MaxSpeed);
            theta += h * omega;
        }
        Theta = theta;
        Omega = omega;
        var nKt = p.GearRatio * p.TorqueConstant;
        Current = nKt > 0 ? torque / nKt : 0;
    }
}
