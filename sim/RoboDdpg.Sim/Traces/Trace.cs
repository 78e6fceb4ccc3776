namespace RoboDdpg.Sim.Traces;

/// <summary>A parsed reference trace: cases in order of first appearance, each with its steps in step order.</summary>
public sealed record Trace(string FilePath, TraceSchema Schema, IReadOnlyList<TraceCase> Cases)
{
    public int StepCount => Cases.Sum(c => c.Steps.Count);
}

/// <summary>One episode of a trace: where it starts and what was applied and observed at each step.</summary>
public sealed record TraceCase(int Id, double[] InitialState, IReadOnlyList<TraceStep> Steps);

/// <param name="Line">1-based line in the trace file, for error messages.</param>
public sealed record TraceStep(int Step, int Line, float[] Action, double[] Outputs, double Reward);
