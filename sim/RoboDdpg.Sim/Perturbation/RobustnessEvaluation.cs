using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Perturbation;

/// <summary>A policy's deterministic evaluation on one perturbed plant.</summary>
/// <param name="ChangePercent">(mean − nominal mean) / |nominal mean| · 100: negative = worse than nominal.</param>
public sealed record PlantEvaluation(PerturbedPlant Plant, string Description, MotorPendulumParameters Parameters, EvaluationResult Result, double ChangePercent)
{
    /// <summary>Return lost against the nominal plant in % of its magnitude (−<see cref="ChangePercent"/>).</summary>
    public double LossPercent => -ChangePercent;
}

/// <summary>Nominal evaluation and one evaluation per perturbed plant, with the same episode seeds for every plant.</summary>
public sealed record RobustnessReport(PerturbationSpec Spec, MotorPendulumParameters Nominal, EvaluationResult NominalResult, IReadOnlyList<PlantEvaluation> Plants)
{
    /// <summary>The plant with the lowest mean return.</summary>
    public PlantEvaluation Worst => Plants.MinBy(p => p.Result.Mean)!;

    /// <summary>Mean over plants of the loss in % of the nominal return (negative: the plants do better on average).</summary>
    public double MeanLossPercent => Plants.Average(p => p.LossPercent);

    /// <summary>Loss of the worst plant in % of the nominal return.</summary>
    public double WorstLossPercent => Worst.LossPercent;
}

/// <summary>
/// Evaluates a policy on perturbed motor-pendulum plants. Every plant — nominal included — is a fresh twin reset with
/// the same episode seeds (<see cref="PolicyEvaluator"/>), and the reset distribution and sensor-noise stream do not
/// depend on the physics, so every plant starts from the same states and sees the same noise: differences in return
/// come from the plant alone.
/// </summary>
public static class RobustnessEvaluation
{
    /// <param name="progress">Called after each plant with (done, total); may be null.</param>
    /// <exception cref="PerturbationSpecException">A plant is not valid (checked for all before the first evaluation).</exception>
    public static RobustnessReport Run(MlpPolicy policy, MotorPendulumParameters nominal, PerturbationSpec spec,
        IReadOnlyList<PerturbedPlant> plants, int episodes, ulong seed, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(nominal);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(plants);
        var parameters = plants.Select(p => spec.Apply(nominal, p)).ToArray();

        var nominalResult = Evaluate(policy, nominal, episodes, seed);
        var results = new PlantEvaluation[plants.Count];
        for (var i = 0; i < plants.Count; i++)
        {
            var result = Evaluate(policy, parameters[i], episodes, seed);
            results[i] = new PlantEvaluation(plants[i], spec.Describe(plants[i]), parameters[i], result, ChangePercent(result.Mean, nominalResult.Mean));
            progress?.Invoke(i + 1, plants.Count);
        }
        return new RobustnessReport(spec, nominal, nominalResult, results);
    }

    /// <summary>Deterministic evaluation on a fresh twin with <paramref name="parameters"/>.</summary>
    public static EvaluationResult Evaluate(MlpPolicy policy, MotorPendulumParameters parameters, int episodes, ulong seed)
    {
        using var twin = new MotorPendulumEnvironment(parameters, seed).Start();
        return PolicyEvaluator.Evaluate(twin, policy, episodes, seed);
    }

    /// <summary>(value − reference) / |reference| · 100; NaN for a zero reference.</summary>
    public static double ChangePercent(double value, double reference) =>
        reference == 0 ? double.NaN : (value - reference) / Math.Abs(reference) * 100.0;
}
