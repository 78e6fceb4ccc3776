using RoboDdpg.Core.Policy;

namespace RoboDdpg.Learning.Training;

/// <summary>
/// Configuration files of the training environment, kept as text in the checkpoint so a resumed run trains on the
/// same plants. Evaluation uses the parameters but never the randomization (it measures the nominal plant).
/// </summary>
public sealed record EnvironmentFiles(string? ParametersPath = null, string? ParametersJson = null,
    string? RandomizationPath = null, string? RandomizationJson = null);

/// <summary>How long to train, on what, and how often to evaluate and checkpoint.</summary>
public sealed record TrainingOptions
{
    /// <summary>Parameter and randomization files of the environment, if any.</summary>
    public EnvironmentFiles? EnvironmentFiles { get; init; }

    /// <summary>Total environment steps of the run (a resumed run continues up to this count).</summary>
    public long TotalSteps { get; init; } = 20_000;

    public ulong Seed { get; init; } = 1;

    /// <summary>Environment steps between evaluations (0: only the final one).</summary>
    public int EvalInterval { get; init; } = 1_000;

    public int EvalEpisodes { get; init; } = 10;

    /// <summary>Seed of evaluation episode 0 (episode i uses EvalSeed + i), shared with <c>roboddpg eval</c>.</summary>
    public ulong EvalSeed { get; init; } = PolicyEvaluator.DefaultSeed;

    /// <summary>Environment steps between checkpoints (0: only at the end).</summary>
    public int CheckpointInterval { get; init; } = 5_000;

    /// <summary>Learner updates between refreshes of the acting policy from the actor.</summary>
    public int PolicyRefreshInterval { get; init; } = 1;

    public void Validate()
    {
        if (TotalSteps < 1) throw new ArgumentException("steps must be at least 1", nameof(TotalSteps));
        if (EvalInterval < 0) throw new ArgumentException("eval interval must not be negative", nameof(EvalInterval));
        if (EvalEpisodes < 1) throw new ArgumentException("eval episodes must be at least 1", nameof(EvalEpisodes));
        if (CheckpointInterval < 0) throw new ArgumentException("checkpoint interval must not be negative", nameof(CheckpointInterval));
        if (PolicyRefreshInterval < 1) throw new ArgumentException("policy refresh interval must be at least 1", nameof(PolicyRefreshInterval));
    }
}
