namespace RoboDdpg.Core.Environments;

/// <summary>
/// What one step produced besides the observation.
/// <see cref="Terminated"/> means the task reached a true terminal state (no bootstrapping past it);
/// <see cref="Truncated"/> means the episode was cut (time limit, external stop) and the value of the
/// next state still counts. Learners must keep the two apart.
/// </summary>
public readonly record struct StepResult(double Reward, bool Terminated, bool Truncated)
{
    public bool EpisodeEnded => Terminated || Truncated;
}
