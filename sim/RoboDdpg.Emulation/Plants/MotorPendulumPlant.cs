using RoboDdpg.Core.Timing;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Emulation.Plants;

/// <summary>What the emulated sensors see of the plant at one instant.</summary>
/// <param name="TimeSeconds">Plant time since construction.</param>
/// <param name="Theta">Arm angle in rad (0 = upright, not wrapped).</param>
/// <param name="Omega">Output-shaft speed in rad/s.</param>
/// <param name="Current">Armature current in A.</param>
/// <param name="Voltage">Terminal voltage being applied in V (0 in torque mode).</param>
public readonly record struct PlantSample(double TimeSeconds, double Theta, double Omega, double Current, double Voltage);

/// <summary>
/// The motor pendulum running in continuous time for emulated devices: actuators set a duty (H-bridge, motor HAT) or
/// a torque (current-controlled drive), sensors sample the state, and the physics advances to the clock's "now" on
/// every access, in sub-steps no longer than the twin's. Actuation latency (<c>LatencyTicks</c> control periods) is a
/// time delay line on the commands. Thread-safe: devices on the loop thread and on I/O threads share one plant.
/// </summary>
/// <remarks>
/// With the real <see cref="MonotonicClock"/> the plant runs in real time, as a robot would; with a
/// <see cref="FakeClock"/> a test decides exactly how much physics happens between two device accesses.
/// </remarks>
public sealed class MotorPendulumPlant
{
    private readonly object _gate = new();
    private readonly MotorPendulumDynamics _dynamics;
    private readonly IMonotonicClock _clock;
    private readonly long _startNanoseconds;
    private readonly double _maxSubstep;
    private readonly double _latencySeconds;
    private readonly Queue<(double At, bool Torque, double Value)> _pending = new();
    private double _time;
    private bool _torqueMode;
    private double _command; // duty in [−1, 1] or torque in N·m

    public MotorPendulumPlant(MotorPendulumParameters parameters, IMonotonicClock clock, double initialTheta = Math.PI)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _dynamics = new MotorPendulumDynamics(parameters);
        _clock = clock;
        _startNanoseconds = clock.NowNanoseconds;
        _maxSubstep = parameters.ControlPeriod / parameters.IntegrationSubsteps;
        _latencySeconds = parameters.LatencyTicks * parameters.ControlPeriod;
        _dynamics.SetState(initialTheta, 0, 0);
    }

    public MotorPendulumParameters Parameters => _dynamics.Parameters;

    /// <summary>Commands a PWM duty in [−1, 1] (clamped); the terminal voltage is duty · supply. 0 brakes.</summary>
    public void SetDuty(double duty) => Command(torque: false, double.IsFinite(duty) ? Math.Clamp(duty, -1, 1) : 0);

    /// <summary>Commands an output-shaft torque in N·m, as a current-controlled drive does.</summary>
    public void SetTorque(double torque) => Command(torque: true, double.IsFinite(torque) ? torque : 0);

    /// <summary>Advances to now and returns the state.</summary>
    public PlantSample Sample()
    {
        lock (_gate)
        {
            AdvanceToNow();
            return Snapshot();
        }
    }

    /// <summary>Places the arm in an exact state (tests, and "putting the robot back" between HIL runs).</summary>
    public void SetState(double theta, double omega)
    {
        lock (_gate)
        {
            AdvanceToNow();
            _dynamics.SetState(theta, omega, 0);
        }
    }

    private void Command(bool torque, double value)
    {
        lock (_gate)
        {
            AdvanceToNow();
            if (_latencySeconds > 0) _pending.Enqueue((_time + _latencySeconds, torque, value));
            else (_torqueMode, _command) = (torque, value);
        }
    }

    private void AdvanceToNow()
    {
        var target = (_clock.NowNanoseconds - _startNanoseconds) * 1e-9;
        // Commands delayed by the latency take effect at their own instant, not at the next access.
        while (_pending.TryPeek(out var next) && next.At <= target)
        {
            Integrate(next.At);
            _pending.Dequeue();
            (_torqueMode, _command) = (next.Torque, next.Value);
        }
        Integrate(target);
    }

    private void Integrate(double until)
    {
        var duration = until - _time;
        if (duration <= 0) return;
        var substeps = (int)Math.Ceiling(duration / _maxSubstep - 1e-9);
        if (substeps < 1) substeps = 1;
        if (_torqueMode) _dynamics.IntegrateTorque(_command, duration, substeps);
        else _dynamics.Integrate(_command * _dynamics.Parameters.SupplyVoltage, duration, substeps);
        _time = until;
    }

    private PlantSample Snapshot() => new(_time, _dynamics.Theta, _dynamics.Omega, _dynamics.Current,
        _torqueMode ? 0 : _command * _dynamics.Parameters.SupplyVoltage);
}
