using RoboDdpg.Core.Environments;

namespace RoboDdpg.Sim.Traces;

/// <summary>
/// A twin that a recorded reference trace can be replayed against: it can be put in an exact state and
/// report its outputs in float64 (float32 observations would hide the differences twin-check looks for).
/// Replay steps through the ordinary <see cref="IEnvironment.Step"/>, so the checked code is the trained-on code.
/// </summary>
public interface ITraceReplayable : IEnvironment
{
    TraceSchema TraceSchema { get; }

    /// <summary>Sets the state from the trace's state columns and starts a new episode there.</summary>
    void SetState(ReadOnlySpan<double> state);

    /// <summary>Writes the values of the trace's output columns for the current state.</summary>
    void WriteOutputs(Span<double> outputs);
}
