using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.Motors;
using RoboDdpg.Sim.Pendulum;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.MotorPendulum;

/// <summary>
/// Twin of a small robot joint: a brushed DC motor with a gearbox swings an arm (point mass + optional uniform
/// rod) in a vertical plane; the task is swing-up and balance upright. Action PWM duty in [−1, 1], observation
/// (cos θ, sin θ, θ̇) from a quantized output-shaft encoder, plus the previous commanded duty when
/// <see cref="MotorPendulumParameters.ObserveLastDuty"/> is set.
/// </summary>
/// <remarks>
/// <para>State θ (rad, 0 = upright, positive = counter-clockwise, not wrapped), ω = θ̇ (output shaft, rad/s) and
/// armature current i (A), all float64. With u = duty · V_supply (duty 0 shorts the terminals, i.e. brakes):</para>
/// <code>
/// L·di/dt       = u − R·i − Ke·N·ω                              (motor speed is N·ω)
/// J·dω/dt       = N·Kt·i + (m + m_r/2)·g·l·sin θ − b·ω − τ_c·sign(ω)
/// dθ/dt         = ω
/// J             = N²·J_rotor + m·l² + m_r·l²/3
/// </code>
/// <para>Coulomb friction is set-valued at ω = 0: the arm sticks while |other torques| ≤ τ_c.</para>
/// <para>
/// Integrator: the electrical time constant L/R (0.5 ms by default) is 20× shorter than the 10 ms control period,
/// so explicit methods need tiny steps and blow up if a user lowers L. Each of the <c>IntegrationSubsteps</c>
/// sub-steps h is therefore backward Euler in everything linear — current, back-EMF, viscous and Coulomb friction
/// (stable for any L, b, τ_c and gives exact steady states) — and explicit only in gravity, evaluated at the old θ,
/// with θ advanced by the new ω (symplectic Euler for the free pendulum, so energy does not drift):
/// </para>
/// <code>
/// a  = (L·i + h·u) / (L + h·R),   c = h·Ke·N / (L + h·R)          i' = a − c·ω'
/// p  = J·ω + h·(N·Kt·a + τ_g(θ))                                   momentum without friction
/// ω' = 0                                  if |p| ≤ h·τ_c           (sticks: friction absorbs the impulse)
/// ω' = (p − sign(p)·h·τ_c) / (J + h·b + h·N·Kt·c)   otherwise,    then clipped to ±max_speed
/// θ' = θ + h·ω'
/// </code>
/// <para>
/// Sensing: the encoder count is floor((θ + noise)/Δ) with Δ = 2π/CPR; the observed angle is count·Δ, the observed
/// velocity the finite difference of counts over the control period plus Gaussian noise, clipped to ±max_speed.
/// The current is not observed: it settles within a tick (L/R ≪ period), so it adds little beyond θ̇ and the duty.
/// </para>
/// <para>
/// Reward −(norm(θ)² + 0.1·ω² + 0.001·duty²) of the exact state before the step and the commanded (clipped) duty,
/// as Pendulum-v1; episodes are truncated at max_episode_steps and never terminate. Reset starts hanging down:
/// θ = π + U[−0.2, 0.2), ω = U[−0.5, 0.5), i = 0, latency queue full of the safe duty 0.
/// </para>
/// </remarks>
public sealed class MotorPendulumEnvironment : EnvironmentBase, ITraceReplayable, ITraceRecordable
{
    public const string Name = "motor-pendulum";
    public const double ResetAngleSpread = 0.2;
    public const double ResetSpeedSpread = 0.5;

    /// <summary>Column layout of a motor-pendulum trace: start state (θ, ω, i), duty, exact (cos, sin, θ̇).</summary>
    public static TraceSchema Schema { get; } = new(
        StateColumns: ["th0", "thdot0", "i0"],
        ActionColumns: ["action"],
        OutputColumns: ["cos", "sin", "thdot"]);

    // Different streams for resets and sensor noise so the reset distribution does not depend on noise settings.
    private const ulong NoiseStreamSalt = 0x9E3779B97F4A7C15;

    private readonly MotorPendulumParameters _p;
    private readonly Xoshiro256 _rng;
    private readonly Xoshiro256 _noiseRng;
    private readonly ActuationDelay _latency;
    private readonly double _countAngle;
    private readonly MotorPendulumDynamics _dynamics;
    private double _appliedDuty;
    private double _lastCommandedDuty;
    private long _count;
    private double _measuredVelocity;
    private int _elapsedSteps;
    private bool _hasState;

    /// <param name="parameters">Plant parameters; null for the defaults. Validated here.</param>
    /// <param name="seed">Seed of the reset distribution and sensor noise; null draws one from the system.</param>
    public MotorPendulumEnvironment(MotorPendulumParameters? parameters = null, ulong? seed = null)
        : base(CreateSpec(Validated(parameters ?? new MotorPendulumParameters())))
    {
        _p = parameters ?? new MotorPendulumParameters();
        _dynamics = new MotorPendulumDynamics(_p);
        var s = seed ?? unchecked((ulong)System.Random.Shared.NextInt64(long.MinValue, long.MaxValue));
        _rng = new Xoshiro256(s);
        _noiseRng = new Xoshiro256(s ^ NoiseStreamSalt);
        _latency = new ActuationDelay(_p.LatencyTicks);
        _countAngle = 2 * Math.PI / _p.EncoderCountsPerRevolution;
    }

    public MotorPendulumParameters Parameters => _p;

    /// <summary>Exact angle in rad, 0 = upright, not wrapped.</summary>
    public double Theta => _dynamics.Theta;

    /// <summary>Exact output-shaft speed in rad/s.</summary>
    public double ThetaDot => _dynamics.Omega;

    /// <summary>Exact armature current in A.</summary>
    public double Current => _dynamics.Current;

    /// <summary>Torque the motor puts on the output shaft, N·Kt·i, in N·m.</summary>
    public double OutputTorque => _dynamics.OutputTorque;

    /// <summary>The duty applied during the last step (the commanded one <c>LatencyTicks</c> steps earlier).</summary>
    public double AppliedDuty => _appliedDuty;

    /// <summary>Encoder count of the last observation.</summary>
    public long EncoderCount => _count;

    /// <summary>Observed angle in rad: a whole number of counts, count·2π/CPR.</summary>
    public double MeasuredAngle => _count * _countAngle;

    /// <summary>Observed velocity in rad/s (finite difference of counts, plus noise, clipped).</summary>
    public double MeasuredVelocity => _measuredVelocity;

    /// <summary>Steps since the last <see cref="IEnvironment.Reset"/> or <see cref="SetState"/>.</summary>
    public int ElapsedSteps => _elapsedSteps;

    TraceSchema ITraceReplayable.TraceSchema => Schema;

    /// <summary>
    /// Places the plant in an exact state (trace replay, tests) and starts a new episode there: the latency queue
    /// is refilled with the safe duty, and the encoder's previous reading is taken as θ − ω·period (as if the arm
    /// had been moving at ω), so the first observed velocity is meaningful.
    /// </summary>
    public void SetState(double theta, double thetaDot, double current)
    {
        _dynamics.SetState(theta, thetaDot, current);
        _appliedDuty = 0;
        _lastCommandedDuty = 0;
        _latency.Clear();
        _count = ReadEncoder(theta - thetaDot * _p.ControlPeriod);
        _elapsedSteps = 0;
        _hasState = true;
        Sense();
    }

    void ITraceReplayable.SetState(ReadOnlySpan<double> state)
    {
        if (state.Length != 3) throw new ArgumentException($"motor-pendulum state has 3 entries, got {state.Length}", nameof(state));
        SetState(state[0], state[1], state[2]);
    }

    /// <summary>The observation from the exact state in float64: cos θ, sin θ, θ̇ (what twin-check compares).</summary>
    public void WriteExactObservation(Span<double> observation)
    {
        if (observation.Length != 3) throw new ArgumentException($"observation has {observation.Length} entries, expected 3", nameof(observation));
        observation[0] = Math.Cos(_dynamics.Theta);
        observation[1] = Math.Sin(_dynamics.Theta);
        observation[2] = _dynamics.Omega;
    }

    void ITraceReplayable.WriteOutputs(Span<double> outputs) => WriteExactObservation(outputs);

    TraceSchema ITraceRecordable.TraceSchema => Schema;

    void ITraceRecordable.WriteTraceState(Span<double> state)
    {
        if (state.Length != 3) throw new ArgumentException($"motor-pendulum state has 3 entries, got {state.Length}", nameof(state));
        state[0] = Theta;
        state[1] = ThetaDot;
        state[2] = Current;
    }

    void ITraceRecordable.WriteTraceOutputs(Span<double> outputs) => WriteExactObservation(outputs);

    protected override void OnReset(ulong? seed, Span<float> observation)
    {
        if (seed is { } s)
        {
            _rng.Reseed(s);
            _noiseRng.Reseed(s ^ NoiseStreamSalt);
        }
        // Hanging down, slightly disturbed: the task starts with the swing-up, as it would on the bench.
        var theta = Math.PI + _rng.NextUniform(-ResetAngleSpread, ResetAngleSpread);
        var thetaDot = _rng.NextUniform(-ResetSpeedSpread, ResetSpeedSpread);
        SetState(theta, thetaDot, 0.0);
        WriteObservation(observation);
    }

    protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
    {
        if (!_hasState)
            throw new InvalidOperationException($"{Name}: Step needs a Reset (or SetState) first");
        var a = action[0];
        if (float.IsNaN(a))
            throw new ArgumentException("action 'duty' is NaN", nameof(action));
        var duty = Math.Clamp((double)a, -1.0, 1.0);

        var th = PendulumEnvironment.NormalizeAngle(_dynamics.Theta);
        var cost = th * th + 0.1 * _dynamics.Omega * _dynamics.Omega + 0.001 * duty * duty;

        var applied = _latency.Push(duty); // commanded k steps ago (the safe duty right after a reset)
        _appliedDuty = applied;
        _lastCommandedDuty = duty;

        _dynamics.Integrate(applied * _p.SupplyVoltage);
        _elapsedSteps++;

        Sense();
        WriteObservation(observation);
        return new StepResult(-cost, Terminated: false, Truncated: _elapsedSteps >= _p.MaxEpisodeSteps);
    }

    /// <summary>Reads the encoder for the current state and derives the observed velocity.</summary>
    private void Sense()
    {
        var previous = _count;
        var theta = _dynamics.Theta;
        var noisyAngle = _p.AngleNoiseStd > 0 ? theta + _p.AngleNoiseStd * _noiseRng.NextGaussian() : theta;
        _count = ReadEncoder(noisyAngle);
        var velocity = (_count - previous) * _countAngle / _p.ControlPeriod;
        if (_p.VelocityNoiseStd > 0) velocity += _p.VelocityNoiseStd * _noiseRng.NextGaussian();
        _measuredVelocity = Math.Clamp(velocity, -_p.MaxSpeed, _p.MaxSpeed);
    }

    // An incremental encoder counts whole steps: floor, so the reading is the same on both sides of zero.
    private long ReadEncoder(double angle) => (long)Math.Floor(angle / _countAngle);

    private void WriteObservation(Span<float> observation)
    {
        var angle = MeasuredAngle;
        observation[0] = (float)Math.Cos(angle);
        observation[1] = (float)Math.Sin(angle);
        observation[2] = (float)_measuredVelocity;
        if (_p.ObserveLastDuty) observation[3] = (float)_lastCommandedDuty;
    }

    private static MotorPendulumParameters Validated(MotorPendulumParameters parameters)
    {
        parameters.Validate();
        return parameters;
    }

    private static EnvironmentSpec CreateSpec(MotorPendulumParameters p) => new(
        Name,
        p.ObserveLastDuty
            ? new BoxSpec(["cos_theta", "sin_theta", "theta_dot", "last_duty"], [-1f, -1f, (float)-p.MaxSpeed, -1f], [1f, 1f, (float)p.MaxSpeed, 1f])
            : new BoxSpec(["cos_theta", "sin_theta", "theta_dot"], [-1f, -1f, (float)-p.MaxSpeed], [1f, 1f, (float)p.MaxSpeed]),
        new BoxSpec(["duty"], [-1f], [1f]),
        SafeAction: [0f],
        ControlPeriodSeconds: p.ControlPeriod,
        MaxEpisodeSteps: p.MaxEpisodeSteps);
}
