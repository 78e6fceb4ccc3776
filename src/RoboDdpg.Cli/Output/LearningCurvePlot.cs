using RoboDdpg.Core.IO;
using RoboDdpg.Learning.Training;

namespace RoboDdpg.Cli.Output;

/// <summary>learning-curve.png: training episode returns and evaluation means (± std) against environment steps.</summary>
internal static class LearningCurvePlot
{
    public const string FileName = "learning-curve.png";

    public static void Save(string metricsPath, string pngPath, string environment)
    {
        var rows = MetricsCsv.Read(metricsPath);
        var episodes = rows.Where(r => r.Kind == "episode" && r.Return is not null).ToArray();
        var evals = rows.Where(r => r.Kind == "eval" && r.EvalMeanReturn is not null).ToArray();

        var plot = new ScottPlot.Plot();
        if (episodes.Length > 0)
        {
            var training = plot.Add.Scatter(episodes.Select(r => (double)r.EnvStep).ToArray(), episodes.Select(r => r.Return!.Value).ToArray());
            training.LegendText = "training episode return";
            training.LineWidth = 1;
            training.MarkerSize = 3;
        }
        if (evals.Length > 0)
        {
            var xs = evals.Select(r => (double)r.EnvStep).ToArray();
            var means = evals.Select(r => r.EvalMeanReturn!.Value).ToArray();
            var errors = evals.Select(r => r.EvalStdReturn ?? 0).ToArray();
            var band = plot.Add.ErrorBar(xs, means, errors);
            band.Color = ScottPlot.Colors.OrangeRed;
            var evaluation = plot.Add.Scatter(xs, means);
            evaluation.LegendText = "evaluation mean ± std";
            evaluation.Color = ScottPlot.Colors.OrangeRed;
            evaluation.LineWidth = 2;
        }
        plot.Title($"DDPG on {environment}");
        plot.XLabel("environment steps");
        plot.YLabel("episode return");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);

        var bytes = plot.GetImageBytes(900, 540, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(pngPath, s => s.Write(bytes));
    }
}
