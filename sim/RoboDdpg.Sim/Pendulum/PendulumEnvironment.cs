using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Pendulum;

/// <summary>
/// Twin of Gymnasium's classic-control Pendulum-v1 (including its 200-step TimeLimit wrapper):
/// a rigid rod swung up by a bounded torque. Observation (cos θ, sin θ, θ̇), action torque.
/// </summary>
/// <remarks>
/// The state is float64 because the swing through the upright amplifies rounding, so a float32 state would
/// drift from Gymnasium within an episode. Only the observation handed out is float32.
/// <para>
/// Arithmetic: every term is evaluated in float64 with the float32 action widened exactly, and squares use
/// pow() as Python's ** does. The reference trace (shared/reference/pendulum-v1-trace.csv) is reproduced
/// bit for bit that way on Linux (x*x instead of pow leaves 2e-15 in the reward); rounding
/// 3·u and 0.001·u² to float32 (NumPy 2 / NEP 50 scalar promotion) instead gives errors up to 8e-6 in θ̇
/// and 3e-5 in the reward, so the trace was evidently recorded with float64 promotion.
/// </para>
/// </remarks>
public sealed class PendulumEnvironment : EnvironmentBase, ITraceReplayable, ITraceRecordable
{
    public const string Name = "pendulum";
    public const double DefaultGravity = 10.0;
    public const double Mass = 1.0;
    public const double Length = 1.0;
    public const double TimeStep = 0.05;
    public const double MaxSpeed = 8.0;
    public const double MaxTorque = 2.0;
    public const int MaxSteps = 200;

    /// <summary>Column layout of a Pendulum-v1 trace (see sim/README.md).</summary>
    public static TraceSchema Schema { get; } = new(
        StateColumns: ["th0", "thdot0"],
        ActionColumns: ["action"],
        OutputColumns: ["cos", "sin", "thdot"]);

    private readonly Xoshiro256 _rng;
    private readonly double _gravity;
    private double _theta;
    private double _thetaDot;
    private int _elapsedSteps;
    private bool _hasState;

    /// <param name="gravity">Gravitational acceleration in m/s² (Gymnasium's <c>g</c>).</param>
    /// <param name="seed">Seed of the reset distribution; null draws one from the system.</param>
    public PendulumEnvironment(double gravity = DefaultGravity, ulong? seed = null)
        : base(CreateSpec())
    {
        if (!double.IsFinite(gravity) || gravity < 0)
            throw new ArgumentOutOfRangeException(nameof(gravity), gravity, "gravity must be finite and non-negative");
        _gravity = gravity;
        _rng = new Xoshiro256(seed ?? unchecked((ulong)System.Random.Shared.NextInt64(long.MinValue, long.MaxValue)));
    }

    public double Gravity => _gravity;

    /// <summary>Angle in radians, 0 = upright, not wrapped (as Gymnasium keeps it).</summary>
    public double Theta => _theta;

    /// <summary>Angular velocity in rad/s.</summary>
    public double ThetaDot => _thetaDot;

    /// <summary>Steps since the last <see cref="IEnvironment.Reset"/> or <see cref="SetState"/>.</summary>
    public int ElapsedSteps => _elapsedSteps;

    TraceSchema ITraceReplayable.TraceSchema => Schema;

    /// <summary>Places the pendulum in an exact state (trace replay, tests) and starts a new episode there.</summary>
    public void SetState(double theta, double thetaDot)
    {
        if (!double.IsFinite(theta)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "must be finite");
        if (!double.IsFinite(thetaDot)) throw new ArgumentOutOfRangeException(nameof(thetaDot), thetaDot, "must be finite");
        _theta = theta;
        _thetaDot = thetaDot;
        _elapsedSteps = 0;
        _hasState = true;
    }

    void ITraceReplayable.SetState(ReadOnlySpan<double> state)
    {
        if (state.Length != 2) throw new ArgumentException($"pendulum state has 2 entries, got {state.Length}", nameof(state));
        SetState(state[0], state[1]);
    }

    /// <summary>The observation in float64: cos θ, sin θ, θ̇ (what twin-check compares).</summary>
    public void WriteExactObservation(Span<double> observation)
    {
        if (observation.Length != 3) throw new ArgumentException($"observation has {observation.Length} entries, expected 3", nameof(observation));
        observation[0] = Math.Cos(_theta);
        observation[1] = Math.Sin(_theta);
        observation[2] = _thetaDot;
    }

    void ITraceReplayable.WriteOutputs(Span<double> outputs) => WriteExactObservation(outputs);

    TraceSchema ITraceRecordable.TraceSchema => Schema;

    void ITraceRecordable.WriteTraceState(Span<double> state)
    {
        if (state.Length != 2) throw new ArgumentException($"pendulum state has 2 entries, got {state.Length}", nameof(state));
        state[0] = _theta;
        state[1] = _thetaDot;
    }

    void ITraceRecordable.WriteTraceOutputs(Span<double> outputs) => WriteExactObservation(outputs);

    /// <summary>
    /// Wraps an angle into [−π, π) exactly as Gymnasium's <c>((x + π) % 2π) − π</c> with Python's floored
    /// modulo, so that rewards agree bit for bit (a different formula changes the last bits near ±π).
    /// </summary>
    public static double NormalizeAngle(double x)
    {
        const double twoPi = 2 * Math.PI;
        // C# % on doubles is C fmod (truncated); shift into the divisor's sign as CPython's float_rem does.
        var mod = (x + Math.PI) % twoPi;
        if (mod != 0)
        {
            if (mod < 0) mod += twoPi;
        }
        else
        {
            mod = 0.0; // CPython: copysign(0, divisor) — never −0
        }
        return mod - Math.PI;
    }

    protected override void OnReset(ulong? seed, Span<float> observation)
    {
        if (seed is { } s) _rng.Reseed(s);
        // Gymnasium draws uniform(low=[-π, -1], high=[π, 1]): θ first, then θ̇.
        var theta = _rng.NextUniform(-Math.PI, Math.PI);
        var thetaDot = _rng.NextUniform(-1.0, 1.0);
        SetState(theta, thetaDot);
        WriteObservation(observation);
    }

    protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
    {
        if (!_hasState)
            throw new InvalidOperationException($"{Name}: Step needs a Reset (or SetState) first");
        var a = action[0];
        if (float.IsNaN(a))
            throw new ArgumentException("action 'torque' is NaN", nameof(action));

        var u = Math.Clamp((double)a, -MaxTorque, MaxTorque);
        var th = _theta;
        var thDot = _thetaDot;

        // Cost of the state before the update, term by term as Gymnasium. Python's x**2 is C pow(), which is not
        // always x*x in the last bit, so Math.Pow (the same libm pow on Linux) keeps rewards bit-identical.
        var cost = Math.Pow(NormalizeAngle(th), 2) + 0.1 * Math.Pow(thDot, 2) + 0.001 * Math.Pow(u, 2);

        var newThDot = thDot + (3 * _gravity / (2 * Length) * Math.Sin(th) + 3.0 / (Mass * Length * Length) * u) * TimeStep;
        newThDot = Math.Clamp(newThDot, -MaxSpeed, MaxSpeed);
        _theta = th + newThDot * TimeStep;
        _thetaDot = newThDot;
        _elapsedSteps++;

        WriteObservation(observation);
        // Time limit only: the swing-up task has no terminal state. Like Gymnasium's TimeLimit, further steps
        // keep reporting truncation.
        return new StepResult(-cost, Terminated: false, Truncated: _elapsedSteps >= MaxSteps);
    }

    private void WriteObservation(Span<float> observation)
    {
        observation[0] = (float)Math.Cos(_theta);
        observation[1] = (float)Math.Sin(_theta);
        observation[2] = (float)_thetaDot;
    }

    private static EnvironmentSpec CreateSpec() => new(
        Name,
        new BoxSpec(["cos_theta", "sin_theta", "theta_dot"], [-1f, -1f, (float)-MaxSpeed], [1f, 1f, (float)MaxSpeed]),
        new BoxSpec(["torque"], [(float)-MaxTorque], [(float)MaxTorque]),
        SafeAction: [0f],
        ControlPeriodSeconds: TimeStep,
        MaxEpisodeSteps: MaxSteps);
}
