using RoboDdpg.Core.Environments;

namespace RoboDdpg.Core.Policy;

/// <summary>Returns of deterministic evaluation episodes.</summary>
public sealed record EvaluationResult(IReadOnlyList<double> Returns)
{
    public double Mean => Returns.Average();

    /// <summary>Population standard deviation of the episode returns.</summary>
    public double StdDev
    {
        get
        {
            var mean = Mean;
            return Math.Sqrt(Returns.Sum(r => (r - mean) * (r - mean)) / Returns.Count);
        }
    }
}

/// <summary>Runs the deterministic policy (no exploration noise) for whole episodes.</summary>
public static class PolicyEvaluator
{
    /// <summary>Default seed of evaluation episodes, shared by training summaries and <c>roboddpg eval</c>.</summary>
    public const ulong DefaultSeed = 12345;

    /// <summary>
    /// Plays <paramref name="episodes"/> episodes; episode i is reset with seed <paramref name="seed"/> + i, so two
    /// policies evaluated with the same seed face the same initial states. Episodes end on termination or truncation,
    /// or after <paramref name="maxStepsPerEpisode"/> steps for environments without a time limit.
    /// </summary>
    public static EvaluationResult Evaluate(IEnvironment environment, MlpPolicy policy, int episodes, ulong seed, int maxStepsPerEpisode = 10_000)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        var spec = environment.Spec;
        if (policy.ObservationSize != spec.ObservationSize || policy.ActionSize != spec.ActionSize)
            throw new ArgumentException($"policy maps {policy.ObservationSize} observations to {policy.ActionSize} actions, " +
                                        $"environment '{spec.Name}' has {spec.ObservationSize} and {spec.ActionSize}");

        var observation = new float[spec.ObservationSize];
        var action = new float[spec.ActionSize];
        var returns = new double[episodes];
        for (var episode = 0; episode < episodes; episode++)
        {
            environment.Reset(seed + (ulong)episode, observation);
            double total = 0;
            for (var t = 0; t < maxStepsPerEpisode; t++)
            {
                policy.Act(observation, action);
                var step = environment.Step(action, observation);
                total += step.Reward;
                if (step.EpisodeEnded) break;
            }
            returns[episode] = total;
        }
        return new EvaluationResult(returns);
    }
}
