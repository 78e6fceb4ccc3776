using System.Globalization;
using RoboDdpg.Core.IO;

namespace RoboDdpg.Learning.Training;

/// <summary>
/// metrics.csv: one row per training episode (kind "episode") and per evaluation (kind "eval"), flushed as
/// each row is written so a crash loses nothing already reported.
/// </summary>
public sealed class MetricsCsv : ITrainingObserver, IDisposable
{
    public const string Header = "kind,env_step,updates,episode,return,length,terminated,eval_mean_return,eval_std_return,critic_loss,actor_loss,wall_seconds";

    private readonly StreamWriter _writer;

    private MetricsCsv(StreamWriter writer) => _writer = writer;

    /// <summary>Creates a new file (replacing any old one) with the header row.</summary>
    public static MetricsCsv Create(string path)
    {
        var writer = new StreamWriter(path, append: false) { AutoFlush = true };
        writer.WriteLine(Header);
        return new MetricsCsv(writer);
    }

    /// <summary>
    /// Continues <paramref name="sourcePath"/> into <paramref name="path"/> keeping only rows up to
    /// <paramref name="lastEnvStep"/> (rows written after the checkpoint would otherwise repeat on resume).
    /// </summary>
    public static MetricsCsv Continue(string sourcePath, string path, long lastEnvStep)
    {
        var kept = new List<string> { Header };
        if (File.Exists(sourcePath))
        {
            foreach (var line in File.ReadLines(sourcePath).Skip(1))
            {
                var fields = line.Split(',');
                if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var step) && step <= lastEnvStep)
                    kept.Add(line);
            }
        }
        AtomicFile.WriteAllText(path, string.Join('\n', kept) + "\n");
        var writer = new StreamWriter(path, append: true) { AutoFlush = true };
        return new MetricsCsv(writer);
    }

    public void OnEpisode(EpisodeRecord e) =>
        Row("episode", e.EnvStep, e.Updates, e.Episode.ToString(CultureInfo.InvariantCulture), F(e.Return),
            e.Length.ToString(CultureInfo.InvariantCulture), e.Terminated ? "1" : "0", "", "", F(e.CriticLoss), F(e.ActorLoss), F(e.WallSeconds));

    public void OnEvaluation(EvaluationRecord e) =>
        Row("eval", e.EnvStep, e.Updates, "", "", "", "", F(e.MeanReturn), F(e.StdReturn), "", "", F(e.WallSeconds));

    private void Row(string kind, long step, long updates, params string[] rest) =>
        _writer.WriteLine($"{kind},{step.ToString(CultureInfo.InvariantCulture)},{updates.ToString(CultureInfo.InvariantCulture)},{string.Join(',', rest)}");

    private static string F(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    public void Dispose() => _writer.Dispose();

    /// <summary>A row read back from metrics.csv (for plots and reports).</summary>
    public sealed record MetricsRow(string Kind, long EnvStep, double? Return, double? EvalMeanReturn, double? EvalStdReturn);

    public static IReadOnlyList<MetricsRow> Read(string path)
    {
        var rows = new List<MetricsRow>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length < 9) continue;
            rows.Add(new MetricsRow(f[0], long.Parse(f[1], CultureInfo.InvariantCulture), D(f[4]), D(f[7]), D(f[8])));
        }
        return rows;

        static double? D(string s) => s.Length == 0 ? null : double.Parse(s, CultureInfo.InvariantCulture);
    }
}
