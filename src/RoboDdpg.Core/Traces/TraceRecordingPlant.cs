using RoboDdpg.Core.Environments;

namespace RoboDdpg.Core.Traces;

/// <summary>
/// The real-time counterpart of <see cref="TraceRecordingEnvironment"/> for plants driven read → act → write (hardware,
/// emulated devices): a case begins at the first fresh reading after a reset (or after a stale reading) with the
/// plant's state then, and every action written followed by a fresh reading becomes a row (that action, the outputs
/// read, the reading's reward). A stale or faulted reading ends the case, since its outputs are not what the action
/// led to; the next fresh reading begins a new one. Everything else passes through; allocates nothing per tick.
/// </summary>
/// <remarks>Owns neither the plant nor the writer: the caller disposes both (the writer after the loop stopped).</remarks>
public sealed class TraceRecordingPlant : IRealtimePlant
{
    private readonly ITraceRecordable _inner;
    private readonly IRealtimePlant _plant;
    private readonly TraceWriter _writer;
    private readonly double[] _state;
    private readonly double[] _outputs;
    private readonly float[] _action;
    private bool _caseOpen;
    private bool _actionWritten;

    /// <param name="plant">A real-time plant that can report its trace state and outputs.</param>
    public TraceRecordingPlant(ITraceRecordable plant, TraceWriter writer)
    {
        _inner = plant ?? throw new ArgumentNullException(nameof(plant));
        _plant = plant as IRealtimePlant ?? throw new ArgumentException($"{plant.Spec.Name} is not a real-time plant; use {nameof(TraceRecordingEnvironment)}", nameof(plant));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        if (!writer.Schema.RequiredColumns.SequenceEqual(plant.TraceSchema.RequiredColumns))
            throw new ArgumentException($"the writer's columns differ from {plant.Spec.Name}'s trace columns", nameof(writer));
        _state = new double[plant.TraceSchema.StateColumns.Count];
        _outputs = new double[plant.TraceSchema.OutputColumns.Count];
        _action = new float[plant.Spec.ActionSize];
    }

    public EnvironmentSpec Spec => _inner.Spec;

    public LifecycleState State => _inner.State;

    public void Configure() => _inner.Configure();

    public void Activate() => _inner.Activate();

    public void Deactivate() => _inner.Deactivate();

    /// <summary>Ends the current case; the next fresh reading begins the next one.</summary>
    public void Reset(ulong? seed, Span<float> observation)
    {
        _inner.Reset(seed, observation);
        _caseOpen = false;
        _actionWritten = false;
    }

    public void Write(ReadOnlySpan<float> action)
    {
        _plant.Write(action);
        action.CopyTo(_action);
        _actionWritten = true;
    }

    public PlantReading Read(Span<float> observation)
    {
        var reading = _plant.Read(observation);
        var good = reading.Fresh && reading.Fault is null;
        if (!good)
        {
            _caseOpen = false;
        }
        else if (_caseOpen && _actionWritten)
        {
            _inner.WriteTraceOutputs(_outputs);
            _writer.WriteStep(_action, _outputs, reading.Step.Reward);
        }
        else if (!_caseOpen)
        {
            _inner.WriteTraceState(_state);
            _writer.BeginCase(_state);
            _caseOpen = true;
        }
        _actionWritten = false;
        return reading;
    }

    /// <summary>Write, wait a period, read (the plant's own Step), recorded like a write and a read.</summary>
    public StepResult Step(ReadOnlySpan<float> action, Span<float> observation)
    {
        if (!_caseOpen)
        {
            _inner.WriteTraceState(_state);
            _writer.BeginCase(_state);
            _caseOpen = true;
        }
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
