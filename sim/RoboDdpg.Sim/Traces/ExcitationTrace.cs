using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;

namespace RoboDdpg.Sim.Traces;

/// <summary>How <see cref="ExcitationTrace"/> records: total steps, steps per case, seed.</summary>
public sealed record ExcitationOptions
{
    public int Steps { get; init; } = 2000;

    /// <summary>Steps per case (episode); the last case takes what is left.</summary>
    public int EpisodeSteps { get; init; } = 200;

    public ulong Seed { get; init; } = 1;

    /// <summary>Largest |θ̇| of a random start state, rad/s.</summary>
    public double StartSpeed { get; init; } = 3.0;

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"steps must be at least 1 (got {Steps})");
        if (EpisodeSteps < 1) throw new ArgumentException($"episode steps must be at least 1 (got {EpisodeSteps})");
        if (!(StartSpeed >= 0) || !double.IsFinite(StartSpeed)) throw new ArgumentException($"start speed must be finite and >= 0 (got {StartSpeed})");
    }
}

/// <summary>
/// Records a trace of a twin driven by a rich open-loop excitation instead of a policy: the data a fit of the twin's
/// physics needs (a policy's trace visits few states and actions). Each case starts from a random state and uses one
/// of four signals in turn, so any trace of four or more cases holds all of them:
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>steps: levels ±10^U[log 0.03, 0] of the action half-range (log-uniform, so small and large), held 5–40 ticks;</item>
/// <item>PRBS: ±A (A log-uniform in [0.05, 0.6]) switching after 1–8 ticks: broadband, for inertia and damping;</item>
/// <item>chirp: A·sin of a phase whose frequency sweeps 0.3 → 8 Hz log-linearly over the case, A log-uniform in [0.05, 0.8];</item>
/// <item>small steps: levels uniform in ±0.15, held 10–60 ticks: slow motion and rest, where gravity and Coulomb friction
/// dominate the motor (sticking, breakaway).</item>
/// </list>
/// <para>Start states by state column name: <c>th0</c> uniform in [−π, π), <c>thdot0</c> uniform in ±<see cref="ExcitationOptions.StartSpeed"/>,
/// anything else (e.g. the current <c>i0</c>) 0. Signals are in units of the action half-range around its centre.</para>
/// </remarks>
public static class ExcitationTrace
{
    /// <summary>Names of the four signals, in the order cases use them.</summary>
    public static IReadOnlyList<string> Signals { get; } = ["steps", "prbs", "chirp", "small-steps"];

    /// <summary>Drives <paramref name="twin"/> (started if needed) and writes every case to <paramref name="writer"/>.</summary>
    public static void Record(ITraceReplayable twin, TraceWriter writer, ExcitationOptions options)
    {
        ArgumentNullException.ThrowIfNull(twin);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!writer.Schema.RequiredColumns.SequenceEqual(twin.TraceSchema.RequiredColumns))
            throw new ArgumentException($"the writer's columns differ from {twin.Spec.Name}'s trace columns", nameof(writer));
        twin.Start();

        var spec = twin.Spec;
        var rng = new Xoshiro256(options.Seed);
        var state = new double[twin.TraceSchema.StateColumns.Count];
        var action = new float[spec.ActionSize];
        var observation = new float[spec.ObservationSize];
        var outputs = new double[twin.TraceSchema.OutputColumns.Count];
        var signals = new Signal[spec.ActionSize];

        for (int episode = 0, done = 0; done < options.Steps; episode++)
        {
            var length = Math.Min(options.EpisodeSteps, options.Steps - done);
            StartState(twin.TraceSchema, rng, options.StartSpeed, state);
            for (var a = 0; a < signals.Length; a++)
                signals[a] = new Signal(episode % Signals.Count, length, spec.ControlPeriodSeconds, rng);
            twin.SetState(state);
            writer.BeginCase(state);
            for (var t = 0; t < length; t++)
            {
                for (var a = 0; a < action.Length; a++)
                {
                    var center = (spec.Action.Low[a] + spec.Action.High[a]) / 2.0;
                    var half = (spec.Action.High[a] - spec.Action.Low[a]) / 2.0;
                    action[a] = (float)(center + half * Math.Clamp(signals[a].Next(t, rng), -1, 1));
                }
                var result = twin.Step(action, observation);
                twin.WriteOutputs(outputs);
                writer.WriteStep(action, outputs, result.Reward);
            }
            done += length;
        }
    }

    private static void StartState(TraceSchema schema, Xoshiro256 rng, double startSpeed, Span<double> state)
    {
        for (var i = 0; i < state.Length; i++)
        {
            state[i] = schema.StateColumns[i] switch
            {
                "th0" => rng.NextUniform(-Math.PI, Math.PI),
                "thdot0" => rng.NextUniform(-startSpeed, startSpeed),
                _ => 0.0,
            };
        }
    }

    private static double LogUniform(Xoshiro256 rng, double low, double high) =>
        Math.Exp(rng.NextUniform(Math.Log(low), Math.Log(high)));

    /// <summary>One action's signal for one case, in units of the action half-range.</summary>
    private sealed class Signal
    {
        private readonly int _kind;
        private readonly double _amplitude;
        private readonly double _period;
        private readonly double _duration;
        private double _level;
        private int _hold;
        private double _phase;

        public Signal(int kind, int length, double period, Xoshiro256 rng)
        {
            _kind = kind;
            _period = period;
            _duration = length * period;
            _amplitude = kind switch
            {
                1 => LogUniform(rng, 0.05, 0.6),
                2 => LogUniform(rng, 0.05, 0.8),
                _ => 1.0,
            };
        }

        public double Next(int t, Xoshiro256 rng)
        {
            switch (_kind)
            {
                case 0:
                    if (_hold-- <= 0)
                    {
                        _level = (rng.NextDouble() < 0.5 ? -1 : 1) * LogUniform(rng, 0.03, 1.0);
                        _hold = 5 + rng.NextInt(36) - 1;
                    }
                    return _level;
                case 1:
                    if (_hold-- <= 0)
                    {
                        _level = rng.NextDouble() < 0.5 ? -_amplitude : _amplitude;
                        _hold = 1 + rng.NextInt(8) - 1;
                    }
                    return _level;
                case 2:
                    {
                        // f(τ) = f0·(f1/f0)^(τ/T); the phase integrates it one control period at a time.
                        const double f0 = 0.3, f1 = 8.0;
                        var frequency = f0 * Math.Pow(f1 / f0, t * _period / _duration);
                        var value = _amplitude * Math.Sin(_phase);
                        _phase += 2 * Math.PI * frequency * _period;
                        return value;
                    }
                default:
                    if (_hold-- <= 0)
                    {
                        _level = rng.NextUniform(-0.15, 0.15);
                        _hold = 10 + rng.NextInt(51) - 1;
                    }
                    return _level;
            }
        }
    }
}
