namespace RoboDdpg.Core.Traces;

/// <summary>
/// Which CSV columns a plant's trace uses besides the fixed <c>case</c>, <c>step</c> and <c>reward</c>. Shared by the
/// writer here (twins and hardware record traces) and the reader and replay in sim/ (twin-check, fitting).
/// </summary>
/// <param name="StateColumns">Initial state of the case (repeated on each of its rows), float64.</param>
/// <param name="ActionColumns">Action applied at the step, float32.</param>
/// <param name="OutputColumns">Values after the step that replay compares, float64.</param>
public sealed record TraceSchema(
    IReadOnlyList<string> StateColumns,
    IReadOnlyList<string> ActionColumns,
    IReadOnlyList<string> OutputColumns)
{
    public const string CaseColumn = "case";
    public const string StepColumn = "step";
    public const string RewardColumn = "reward";

    /// <summary>All columns a trace must have, in the order missing ones are reported (and the writer writes them).</summary>
    public IEnumerable<string> RequiredColumns =>
        [CaseColumn, StepColumn, .. StateColumns, .. ActionColumns, .. OutputColumns, RewardColumn];
}
