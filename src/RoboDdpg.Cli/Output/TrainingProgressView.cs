using System.Globalization;
using RoboDdpg.Learning.Training;
using Spectre.Console;

namespace RoboDdpg.Cli.Output;

/// <summary>Live training progress: a Spectre progress bar on a terminal, plain lines per evaluation otherwise.</summary>
internal static class TrainingProgressView
{
    public static TrainingSummary Run(IAnsiConsole console, long totalSteps, long startStep, bool plain, Func<ITrainingObserver, TrainingSummary> train)
    {
        if (plain) return train(new PlainObserver(totalSteps));

        TrainingSummary? summary = null;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: totalSteps);
                task.Value = startStep;
                summary = train(new ProgressObserver(task));
                task.Value = task.MaxValue;
            });
        return summary!;
    }

    public static void PrintSummary(IAnsiConsole console, TrainingSummary s, string outDir)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("result").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("eval return (mean ± std)", $"{s.EvalMeanReturn:F1} ± {s.EvalStdReturn:F1} over {s.EvalEpisodes} episodes");
        table.AddRow("first step reaching −200", s.FirstStepReachingMinus200?.ToString(CultureInfo.InvariantCulture) ?? "not reached");
        table.AddRow("env steps / updates / episodes", $"{s.EnvSteps} / {s.Updates} / {s.Episodes}");
        table.AddRow("wall time", $"{s.WallSeconds:F1} s");
        table.AddRow("env steps/s, updates/s", $"{s.EnvStepsPerS:F0}, {s.UpdatesPerS:F0}");
        table.AddRow("ms per update (mean)", $"{s.UpdateMsMean:F2}");
        console.Write(table);
        console.MarkupLineInterpolated($"wrote [blue]{outDir}[/]: {TrainingRun.PolicyFileName}, {TrainingRun.CheckpointFileName}, {TrainingRun.MetricsFileName}, {TrainingRun.SummaryFileName}, {LearningCurvePlot.FileName}");
    }

    private static string Describe(TrainingProgress p) =>
        $"ep return {Format(p.LastEpisodeReturn)} | eval {Format(p.LastEvalMean)} | {p.EnvStepsPerSecond:F0} steps/s | {p.UpdatesPerSecond:F0} upd/s";

    private static string Format(double? value) => value?.ToString("F1", CultureInfo.InvariantCulture) ?? "–";

    private sealed class ProgressObserver(ProgressTask task) : ITrainingObserver
    {
        public void OnProgress(TrainingProgress progress)
        {
            task.Value = progress.EnvStep;
            task.Description = Markup.Escape($"step {progress.EnvStep}/{progress.TotalSteps} | {Describe(progress)}");
        }
    }

    // One unwrapped line per evaluation, for logs and CI where a live bar would be noise.
    private sealed class PlainObserver(long totalSteps) : ITrainingObserver
    {
        private TrainingProgress? _last;

        public void OnProgress(TrainingProgress progress) => _last = progress;

        public void OnEvaluation(EvaluationRecord e) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {e.EnvStep}/{totalSteps}: eval {e.MeanReturn:F1} ± {e.StdReturn:F1}{(_last is { } p ? " | " + Describe(p) : "")}"));
    }
}
