namespace RoboDdpg.Core.Policy;

/// <summary>Where a policy came from and what it expects; stored in the policy file header.</summary>
public sealed record PolicyMetadata(
    string Environment,
    IReadOnlyList<string> ObservationNames,
    IReadOnlyList<string> ActionNames,
    DateTimeOffset CreatedUtc,
    long TrainingSteps);
