using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Sim.Traces;

/// <summary>
/// Replays a reference trace (recorded from the original simulator) against a twin and measures the largest
/// absolute difference per compared column. Each case starts from its recorded state and applies the recorded
/// actions in step order through the twin's ordinary Step.
/// </summary>
public static class TwinCheck
{
    /// <summary>What "identical" means for a float64 twin of a float64 reference: far above rounding, far below physics.</summary>
    public const double DefaultTolerance = 1e-5;

    /// <summary>Twin-checks <see cref="PendulumEnvironment"/> against a Pendulum-v1 trace.</summary>
    /// <exception cref="TraceFormatException">The trace is missing, unreadable or malformed.</exception>
    public static TwinCheckReport Run(string tracePath)
    {
        using var twin = new PendulumEnvironment(seed: 0);
        return Run(tracePath, twin);
    }

    /// <summary>
    /// Twin-checks any pendulum-like twin whose trace outputs are <c>cos, sin, thdot</c> (the state columns are the
    /// twin's own, e.g. the motor pendulum adds the current <c>i0</c>).
    /// </summary>
    /// <exception cref="TraceFormatException">The trace is missing, unreadable or malformed.</exception>
    public static TwinCheckReport Run(string tracePath, ITraceReplayable twin)
    {
        ArgumentNullException.ThrowIfNull(twin);
        if (!twin.TraceSchema.OutputColumns.SequenceEqual(PendulumEnvironment.Schema.OutputColumns))
            throw new ArgumentException($"{twin.Spec.Name}: twin-check reports cos, sin and thdot, this twin's trace outputs are {string.Join(", ", twin.TraceSchema.OutputColumns)}");
        var trace = TraceReader.Read(tracePath, twin.TraceSchema);
        var result = Replay(twin, trace);
        return new TwinCheckReport(
            result.Cases,
            result.Steps,
            MaxAbsErrorCos: result.MaxAbsErrors[0],
            MaxAbsErrorSin: result.MaxAbsErrors[1],
            MaxAbsErrorThetaDot: result.MaxAbsErrors[2],
            MaxAbsErrorReward: result.MaxAbsErrorReward);
    }

    /// <summary>Replays <paramref name="trace"/> on any replayable twin; starts the twin if it is not active yet.</summary>
    public static TraceReplayResult Replay(ITraceReplayable twin, Trace trace)
    {
        ArgumentNullException.ThrowIfNull(twin);
        ArgumentNullException.ThrowIfNull(trace);
        var schema = twin.TraceSchema;
        if (!schema.StateColumns.SequenceEqual(trace.Schema.StateColumns)
            || !schema.ActionColumns.SequenceEqual(trace.Schema.ActionColumns)
            || !schema.OutputColumns.SequenceEqual(trace.Schema.OutputColumns))
        {
            throw new ArgumentException($"trace was read with a different schema than {twin.Spec.Name} replays", nameof(trace));
        }

        twin.Start();

        var observation = new float[twin.Spec.ObservationSize];
        var outputs = new double[schema.OutputColumns.Count];
        var maxErrors = new double[outputs.Length];
        var maxRewardError = 0.0;
        var steps = 0;

        foreach (var traceCase in trace.Cases)
        {
            twin.SetState(traceCase.InitialState);
            foreach (var step in traceCase.Steps)
            {
                var result = twin.Step(step.Action, observation);
                twin.WriteOutputs(outputs);
                for (var i = 0; i < outputs.Length; i++)
                    maxErrors[i] = Math.Max(maxErrors[i], Math.Abs(outputs[i] - step.Outputs[i])); // Math.Max keeps NaN
                maxRewardError = Math.Max(maxRewardError, Math.Abs(result.Reward - step.Reward));
                steps++;
            }
        }

        return new TraceReplayResult(trace.Cases.Count, steps, schema.OutputColumns, maxErrors, maxRewardError);
    }
}

/// <summary>Largest absolute errors of a replay, per output column (in schema order) and for the reward.</summary>
public sealed record TraceReplayResult(
    int Cases,
    int Steps,
    IReadOnlyList<string> OutputColumns,
    IReadOnlyList<double> MaxAbsErrors,
    double MaxAbsErrorReward)
{
    public double MaxAbsError => MaxAbsErrors.Aggregate(MaxAbsErrorReward, Math.Max);
}
