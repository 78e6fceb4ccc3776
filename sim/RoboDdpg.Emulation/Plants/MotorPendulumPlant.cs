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
    private readonly long _latencyNanoseconds;
    private readonly Queue<(long At, bool Torque, double Value)> _pending = new();
    // Integer nanoseconds, so that a 10 ms interval integrates as exactly 0.01 s (1e7 / 1e9), as the twin's step does.
    private long _timeNanoseconds;
    private bool _torqueMode;
    private double _command; // duty in [−1, 1] or torque in N·m

    public MotorPendulumPlant(MotorPendulumParameters parameters, IMonotonicClock clock, double initialTheta = Math.PI)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _dynamics = new MotorPendulumDynamics(parameters);
        _clock = clock;
        _startNanoseconds = clock.NowNanoseconds;
        _maxSubstep = parameters.ControlPeriod / parameters.IntegrationSubsteps;
        _latencyNanoseconds = (long)Math.Round(parameters.LatencyTicks * parameters.ControlPeriod * 1e9);
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
            if (_latencyNanoseconds > 0) _pending.Enqueue((_timeNanoseconds + _latencyNanoseconds, torque, value));
            else (_torqueMode, _command) = (torque, value);
        }
    }

    private void AdvanceToNow()
    {
        var target = _clock.NowNanoseconds - _startNanoseconds;
        // Commands delayed by the latency take effect at their own instant, not at the next access.
        while (_pending.TryPeek(out var next) && next.At <= target)
        {
            Integrate(next.At);
            _pending.Dequeue();
            (_torqueMode, _command) = (next.Torque, next.Value);
        }
        Integrate(target);
    }

    private void Integrate(long until)
    {
        if (until <= _timeNanoseconds) return;
        var duration = (until - _timeNanoseconds) / 1e9;
        var substeps = (int)Math.Ceiling(duration / _maxSubstep - 1e-9);
        if (substeps < 1) substeps = 1;
        if (_torqueMode) _dynamics.IntegrateTorque(_command, duration, substeps);
        else _dynamics.Integrate(_command * _dynamics.Parameters.SupplyVoltage, duration, substeps);
        _timeNanoseconds = until;
    }

    private PlantSample Snapshot() => new(_timeNanoseconds / 1e9, _dynamics.Theta, _dynamics.Omega, _dynamics.Current,
        _torqueMode ? 0 : _command * _dynamics.Parameters.SupplyVoltage);
}
