using RoboDdpg.Core.IO;
using RoboDdpg.Core.Policy;

namespace RoboDdpg.Learning.Training;

/// <summary>
/// A training run into an output folder: metrics.csv while training, then the policy file, the checkpoint and
/// summary.json, each written atomically. Cancellation (Ctrl+C) still saves everything trained so far.
/// </summary>
public static class TrainingRun
{
    public const string PolicyFileName = "policy.rdpolicy";
    public const string CheckpointFileName = "checkpoint.rdckpt";
    public const string MetricsFileName = "metrics.csv";
    public const string SummaryFileName = "summary.json";

    /// <summary>Creates the folder if needed and proves it writable; refuses to overwrite another run's checkpoint.</summary>
    public static string PrepareOutput(string directory, bool allowExistingRun)
    {
        var full = OutputDirectory.Prepare(directory, [PolicyFileName, CheckpointFileName, SummaryFileName, MetricsFileName, "learning-curve.png"]);
        if (!allowExistingRun && File.Exists(Path.Combine(full, CheckpointFileName)))
            throw new OutputDirectoryException($"{directory}: already holds a training run ({CheckpointFileName}); pass --resume {directory} to continue it or choose another --out");
        return full;
    }

    /// <summary>
    /// Trains, then writes policy, checkpoint and summary into <paramref name="outputDirectory"/> (prepared by
    /// <see cref="PrepareOutput"/>). <paramref name="resumedFrom"/> is the folder of the checkpoint the trainer was
    /// resumed from, whose metrics are carried over.
    /// </summary>
    public static TrainingSummary Execute(DdpgTrainer trainer, string outputDirectory, ITrainingObserver? observer = null,
        string? resumedFrom = null, CancellationToken cancellation = default)
    {
        var metricsPath = Path.Combine(outputDirectory, MetricsFileName);
        var checkpointPath = Path.Combine(outputDirectory, CheckpointFileName);
        var policyPath = Path.Combine(outputDirectory, PolicyFileName);

        using var metrics = resumedFrom is null
            ? MetricsCsv.Create(metricsPath)
            : MetricsCsv.Continue(Path.Combine(resumedFrom, MetricsFileName), metricsPath, trainer.EnvSteps);
        var completed = trainer.Run(new CompositeObserver(metrics, observer), checkpointPath, cancellation);

        // The last periodic evaluation already measured this exact policy when training stopped on an eval step.
        var last = trainer.LastEvaluation;
        var final = last is not null && last.Updates == trainer.Learner.Updates && last.EnvStep == trainer.EnvSteps
            ? last
            : trainer.Evaluate();
        if (!ReferenceEquals(final, last)) metrics.OnEvaluation(final);
        var policy = trainer.ExportPolicy();
        PolicyFile.Save(policyPath, policy, new PolicyMetadata(trainer.Spec.Name, trainer.Spec.Observation.Names,
            trainer.Spec.Action.Names, DateTimeOffset.UtcNow, trainer.EnvSteps));
        trainer.SaveCheckpoint(checkpointPath);

        var wall = Math.Max(trainer.WallSeconds, 1e-9);
        var summary = new TrainingSummary(trainer.Spec.Name, trainer.Training.Seed, completed, final.MeanReturn, final.StdReturn,
            final.Episodes, trainer.Training.EvalSeed, trainer.EnvSteps, trainer.Learner.Updates, trainer.Episodes,
            trainer.WallSeconds, trainer.EnvSteps / wall, trainer.Learner.Updates / wall, trainer.UpdateMillisecondsMean,
            trainer.FirstStepReachingMinus200, PolicyFileName, CheckpointFileName);
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, SummaryFileName), summary.ToJson() + "\n");
        return summary;
    }

    private sealed class CompositeObserver(ITrainingObserver first, ITrainingObserver? second) : ITrainingObserver
    {
        public void OnEpisode(EpisodeRecord episode) { first.OnEpisode(episode); second?.OnEpisode(episode); }
        public void OnEvaluation(EvaluationRecord evaluation) { first.OnEvaluation(evaluation); second?.OnEvaluation(evaluation); }
        public void OnProgress(TrainingProgress progress) { first.OnProgress(progress); second?.OnProgress(progress); }
        public void OnCheckpoint(string path) { first.OnCheckpoint(path); second?.OnCheckpoint(path); }
    }
}
