using System.Buffers;
using System.Text;
using System.Text.Json;
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

    /// <summary>
    /// Twin-checks any replayable twin against a trace with the twin's own columns (<see cref="ITraceReplayable.TraceSchema"/>):
    /// the largest absolute error per output column and for the reward.
    /// </summary>
    /// <exception cref="TraceFormatException">The trace is missing, unreadable or malformed.</exception>
    public static TraceReplayResult Check(string tracePath, ITraceReplayable twin)
    {
        ArgumentNullException.ThrowIfNull(twin);
        return Replay(twin, TraceReader.Read(tracePath, twin.TraceSchema));
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

    /// <summary>True when every error is at most <paramref name="tolerance"/> (false on NaN).</summary>
    public bool IsWithin(double tolerance) => MaxAbsError <= tolerance;

    /// <summary>
    /// One JSON object: cases, steps, max_abs_error, then one error per output column in schema order, then reward,
    /// e.g. <c>{"cases":16,"steps":3200,"max_abs_error":0,"cos":0,"sin":0,"thdot":0,"reward":0}</c> for a pendulum
    /// (the same text as <see cref="TwinCheckReport.ToJson"/>). Non-finite errors are written as "NaN"/"Infinity".
    /// </summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("cases", Cases);
            writer.WriteNumber("steps", Steps);
            WriteError(writer, "max_abs_error", MaxAbsError);
            for (var i = 0; i < OutputColumns.Count; i++) WriteError(writer, OutputColumns[i], MaxAbsErrors[i]);
            WriteError(writer, TraceSchema.RewardColumn, MaxAbsErrorReward);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteError(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteString(name, double.IsNaN(value) ? "NaN" : "Infinity");
    }
}
