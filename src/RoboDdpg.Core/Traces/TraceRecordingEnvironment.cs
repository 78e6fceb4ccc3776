using RoboDdpg.Core.Environments;

namespace RoboDdpg.Core.Traces;

/// <summary>
/// Wraps a plant so that every episode it plays is written to a <see cref="TraceWriter"/>: each reset begins a case
/// with the plant's state right after the reset, each step writes the action passed in (what the plant was asked to
/// apply; it clips as usual), the plant's outputs after the step and the reward. Replaying the trace on a twin with the
/// same parameters reproduces it. Everything else passes through; allocates nothing per step.
/// </summary>
/// <remarks>Owns neither the plant nor the writer: the caller disposes both (the writer after the loop stopped).</remarks>
public sealed class TraceRecordingEnvironment : IEnvironment
{
    private readonly ITraceRecordable _inner;
    private readonly TraceWriter _writer;
    private readonly double[] _state;
    private readonly double[] _outputs;

    public TraceRecordingEnvironment(ITraceRecordable inner, TraceWriter writer)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        if (!writer.Schema.RequiredColumns.SequenceEqual(inner.TraceSchema.RequiredColumns))
            throw new ArgumentException($"the writer's columns differ from {inner.Spec.Name}'s trace columns", nameof(writer));
        _state = new double[inner.TraceSchema.StateColumns.Count];
        _outputs = new double[inner.TraceSchema.OutputColumns.Count];
    }

    public ITraceRecordable Inner => _inner;

    /// <summary>
    /// The recording wrapper for <paramref name="plant"/>: a <see cref="TraceRecordingPlant"/> for a real-time plant
    /// (it stays real-time for the control loop), a <see cref="TraceRecordingEnvironment"/> otherwise.
    /// </summary>
    public static IEnvironment For(ITraceRecordable plant, TraceWriter writer) =>
        plant is IRealtimePlant ? new TraceRecordingPlant(plant, writer) : new TraceRecordingEnvironment(plant, writer);

    public EnvironmentSpec Spec => _inner.Spec;

    public LifecycleState State => _inner.State;

    public void Configure() => _inner.Configure();

    public void Activate() => _inner.Activate();

    public void Deactivate() => _inner.Deactivate();

    public void Reset(ulong? seed, Span<float> observation)
    {
        _inner.Reset(seed, observation);
        _inner.WriteTraceState(_state);
        _writer.BeginCase(_state);
    }

    public StepResult Step(ReadOnlySpan<float> action, Span<float> observation)
    {
        var result = _inner.Step(action, observation);
        _inner.WriteTraceOutputs(_outputs);
        _writer.WriteStep(action, _outputs, result.Reward);
        return result;
    }

    /// <summary>Nothing to release: the plant and the writer belong to the caller.</summary>
    public void Dispose()
    {
    }
}
