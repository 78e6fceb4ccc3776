namespace RoboDdpg.Learning.Training;

/// <summary>One finished training episode (with exploration noise).</summary>
public sealed record EpisodeRecord(long Episode, long EnvStep, long Updates, double Return, int Length, bool Terminated,
    double? CriticLoss, double? ActorLoss, double WallSeconds);

/// <summary>One evaluation of the deterministic policy.</summary>
public sealed record EvaluationRecord(long EnvStep, long Updates, double MeanReturn, double StdReturn, int Episodes, double WallSeconds);

/// <summary>Live figures for a progress display.</summary>
public readonly record struct TrainingProgress(long EnvStep, long TotalSteps, long Updates, long Episodes,
    double? LastEpisodeReturn, double? LastEvalMean, double EnvStepsPerSecond, double UpdatesPerSecond);

/// <summary>Receives training events; called on the training thread.</summary>
public interface ITrainingObserver
{
    void OnEpisode(EpisodeRecord episode) { }
    void OnEvaluation(EvaluationRecord evaluation) { }
    void OnProgress(TrainingProgress progress) { }
    void OnCheckpoint(string path) { }
}
