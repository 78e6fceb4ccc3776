using RoboDdpg.Core.Environments;

namespace RoboDdpg.Core.Traces;

/// <summary>
/// A plant whose episodes can be recorded as a trace (<see cref="TraceRecordingEnvironment"/>): it reports the state
/// an episode starts from and, after each step, the values of the trace's output columns. A twin reports its exact
/// state; hardware reports its best measurement (e.g. encoder angle and velocity, 0 for an unmeasured current).
/// </summary>
public interface ITraceRecordable : IEnvironment
{
    TraceSchema TraceSchema { get; }

    /// <summary>Writes the current state in <see cref="TraceSchema.StateColumns"/> order (called right after a reset).</summary>
    void WriteTraceState(Span<double> state);

    /// <summary>Writes the values of <see cref="TraceSchema.OutputColumns"/> for the current state (called after each step).</summary>
    void WriteTraceOutputs(Span<double> outputs);
}
