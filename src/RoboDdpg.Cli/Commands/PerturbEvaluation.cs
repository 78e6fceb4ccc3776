using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RoboDdpg.Cli.Output;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Policy;
using RoboDdpg.Learning.Training;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Perturbation;
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg eval --perturb SPEC</c>: the policy on a grid or random sample of perturbed motor-pendulum plants, with the
/// same episode seeds on every plant. Prints a table (or JSON) and writes a CSV and a heat map.
/// </summary>
internal sealed class PerturbEvaluation
{
    public const string CsvFileName = "perturbation.csv";

    private readonly Option<string?> _perturb = OptionFactory.Create<string?>("--perturb",
        $"evaluate on perturbed plants (motor-pendulum), e.g. mass=0.8..1.2,kt=0.8..1.2,latency=+1; knobs: {string.Join(", ", PlantKnobs.ShortNames)}, or a parameter-file name", null);
    private readonly Option<int> _grid = OptionFactory.AtLeast("--grid", "with --perturb: points per range of the grid (latency ranges take every whole tick); with --samples: heat-map bins per axis", 3, 1);
    private readonly Option<int> _samples = OptionFactory.AtLeast("--samples", "with --perturb: this many random plants instead of a grid (0: grid)", 0, 0);
    private readonly Option<ulong> _sampleSeed = OptionFactory.Create("--perturb-seed", "with --samples: seed of the random plants", 1UL);
    private readonly Option<string?> _out = OptionFactory.Create<string?>("--out", "with --perturb: folder for perturbation.csv and perturbation-heatmap.png (default: runs/perturb-<env>-<time>)", null);
    private readonly Option<string?> _csv = OptionFactory.Create<string?>("--csv", "with --perturb: CSV file to write (default: <out>/perturbation.csv)", null);
    private readonly Option<string?> _axes = OptionFactory.Create<string?>("--heatmap-axes", "with --perturb: the two axes of the heat map, e.g. mass,kt (default: the first two ranges of the spec)", null);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _perturb, _grid, _samples, _sampleSeed, _out, _csv, _axes })
            command.Options.Add(option);
    }

    /// <summary>True when the command line asks for a perturbation evaluation; refuses its options without --perturb.</summary>
    public bool Requested(ParseResult parse)
    {
        if (parse.GetValue(_perturb) is not null) return true;
        var stray = new Option[] { _grid, _samples, _sampleSeed, _out, _csv, _axes }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
        if (stray is not null) throw new CliError($"{stray.Name} needs --perturb SPEC");
        return false;
    }

    public int Run(ParseResult parse, string policyPath, MlpPolicy policy, string envName, MotorPendulumParameters nominal,
        int episodes, ulong seed, bool json)
    {
        if (envName != MotorPendulumEnvironment.Name)
            throw new CliError($"--perturb works on {MotorPendulumEnvironment.Name}, not '{envName}'");
        PerturbationSpec spec;
        try
        {
            spec = PerturbationSpec.Parse(parse.GetValue(_perturb)!);
        }
        catch (PerturbationSpecException e)
        {
            throw new CliError($"--perturb: {e.Message}");
        }

        var samples = parse.GetValue(_samples);
        var sampled = samples > 0;
        var (x, y) = HeatmapAxes(spec, parse.GetValue(_axes));

        IReadOnlyList<PerturbedPlant> plants;
        try
        {
            plants = sampled ? spec.Sample(samples, parse.GetValue(_sampleSeed)) : spec.Grid(parse.GetValue(_grid));
            foreach (var plant in plants) spec.Apply(nominal, plant); // every plant valid before the first episode
        }
        catch (PerturbationSpecException e)
        {
            throw new CliError($"--perturb: {e.Message}");
        }

        var outDir = TrainingRun.PrepareOutput(parse.GetValue(_out) ?? Path.Combine("runs", $"perturb-{envName}-{DateTime.Now:yyyyMMdd-HHmmss}"), allowExistingRun: true);
        var csvPath = Path.GetFullPath(parse.GetValue(_csv) ?? Path.Combine(outDir, CsvFileName));
        if (Directory.Exists(csvPath)) throw new CliError($"--csv {parse.GetValue(_csv)}: is a folder; give the CSV file's path");
        var csvDirectory = Path.GetDirectoryName(csvPath)!;
        if (!Directory.Exists(csvDirectory)) throw new CliError($"--csv {parse.GetValue(_csv)}: folder {csvDirectory} does not exist");

        if (!json)
            AnsiConsole.MarkupLineInterpolated($"evaluating [bold]{plants.Count}[/] perturbed plants{(sampled ? " (random sample)" : " (grid)")} + nominal, {episodes} episodes each (seeds {seed}…{seed + (ulong)episodes - 1}, the same on every plant)");
        var report = RobustnessEvaluation.Run(policy, nominal, spec, plants, episodes, seed);

        WriteCsv(csvPath, report);
        string? heatmapPath = null;
        if (x is { } xi)
            heatmapPath = PerturbationHeatmap.Save(Path.Combine(outDir, PerturbationHeatmap.FileName), report, envName, xi, y, sampled, parse.GetValue(_grid));

        if (json) Console.WriteLine(Json(report, policyPath, envName, episodes, seed, sampled, csvPath, heatmapPath));
        else Print(report, csvPath, heatmapPath);
        return ExitCodes.Ok;
    }

    private static (int? X, int? Y) HeatmapAxes(PerturbationSpec spec, string? text)
    {
        if (text is null)
        {
            var ranges = spec.Axes.Select((a, i) => (a, i)).Where(p => p.a.IsRange).Select(p => p.i).ToArray();
            return (ranges.Length > 0 ? ranges[0] : null, ranges.Length > 1 ? ranges[1] : null);
        }
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        if (names.Length is < 1 or > 2 || names.Any(n => n.Length == 0))
            throw new CliError($"--heatmap-axes '{text}': expected one or two axis names, e.g. mass,kt");
        var indices = names.Select(n =>
        {
            var index = spec.Axes.ToList().FindIndex(a => a.Name == n);
            if (index < 0) throw new CliError($"--heatmap-axes: '{n}' is not an axis of --perturb (axes: {string.Join(", ", spec.Axes.Select(a => a.Name))})");
            return index;
        }).ToArray();
        if (indices.Length == 2 && indices[0] == indices[1]) throw new CliError($"--heatmap-axes '{text}': name two different axes");
        return (indices[0], indices.Length > 1 ? indices[1] : null);
    }

    private static void Print(RobustnessReport report, string csvPath, string? heatmapPath)
    {
        var spec = report.Spec;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("#");
        foreach (var axis in spec.Axes) table.AddColumn(new TableColumn(Markup.Escape(axis.Name)).RightAligned());
        table.AddColumn(new TableColumn("mean return ± std").RightAligned()).AddColumn(new TableColumn("vs nominal").RightAligned());
        table.AddRow([new Markup("nominal"), .. spec.Axes.Select(a => new Markup(Markup.Escape(a.IsLatency ? "+0" : "×1"))),
            new Markup(Markup.Escape(MeanStd(report.NominalResult))), new Markup("")]);
        var worst = report.Worst;
        for (var i = 0; i < report.Plants.Count; i++)
        {
            var p = report.Plants[i];
            var change = Percent(p.ChangePercent);
            var colour = ReferenceEquals(p, worst) ? "red" : p.ChangePercent < 0 ? "yellow" : "green";
            table.AddRow([new Markup((i + 1).ToString(CultureInfo.InvariantCulture)),
                .. spec.Axes.Select((a, k) => new Markup(Markup.Escape(a.Label(p.Plant.Values[k])))),
                new Markup(Markup.Escape(MeanStd(p.Result))), new Markup($"[{colour}]{Markup.Escape(change)}[/]")]);
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"nominal return [bold]{F(report.NominalResult.Mean)}[/] ± {F(report.NominalResult.StdDev)}");
        AnsiConsole.MarkupLineInterpolated($"worst case: [red]{worst.Description}[/]: {F(worst.Result.Mean)} ({Percent(worst.ChangePercent)}, loss {Percent(report.WorstLossPercent, signed: false)})");
        AnsiConsole.MarkupLineInterpolated($"mean loss over {report.Plants.Count} plants: [bold]{Percent(report.MeanLossPercent, signed: false)}[/] of the nominal return");
        AnsiConsole.MarkupLineInterpolated($"wrote [blue]{csvPath}[/]{(heatmapPath is null ? " (no heat map: the spec has no range)" : "")}");
        if (heatmapPath is not null) AnsiConsole.MarkupLineInterpolated($"wrote [blue]{heatmapPath}[/]");
    }

    /// <summary>One row per plant (nominal first): plant, axis values, the parameters the axes change, return, change.</summary>
    private static void WriteCsv(string path, RobustnessReport report)
    {
        var spec = report.Spec;
        var parameters = spec.Axes.SelectMany(a => a.IsLatency ? ["latency_ticks"] : a.Knob!.Parameters.Append(a.Knob.Parameters.Contains("torque_constant") ? "back_emf_constant" : null))
            .OfType<string>().Distinct().ToArray();
        var text = new StringBuilder();
        text.Append("plant,").AppendJoin(',', spec.Axes.Select(a => a.IsLatency ? "latency_added" : a.Name + "_factor"))
            .Append(',').AppendJoin(',', parameters).Append(",mean_return,std_return,change_pct\n");
        void Row(string name, IReadOnlyList<double> values, MotorPendulumParameters plant, EvaluationResult result, double change)
        {
            text.Append(name).Append(',').AppendJoin(',', values.Select(R)).Append(',')
                .AppendJoin(',', parameters.Select(p => R(ParameterValue(plant, p))))
                .Append(',').Append(R(result.Mean)).Append(',').Append(R(result.StdDev)).Append(',').Append(R(change)).Append('\n');
        }
        Row("nominal", spec.Axes.Select(a => a.IsLatency ? 0.0 : 1.0).ToArray(), report.Nominal, report.NominalResult, 0);
        for (var i = 0; i < report.Plants.Count; i++)
        {
            var p = report.Plants[i];
            Row((i + 1).ToString(CultureInfo.InvariantCulture), p.Plant.Values, p.Parameters, p.Result, p.ChangePercent);
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }

    private static double ParameterValue(MotorPendulumParameters p, string name) => name switch
    {
        "latency_ticks" => p.LatencyTicks,
        "back_emf_constant" => p.BackEmfConstant,
        _ => Sim.Randomization.RandomizableParameters.Get(p, name),
    };

    private static string Json(RobustnessReport report, string policyPath, string envName, int episodes, ulong seed, bool sampled, string csvPath, string? heatmapPath)
    {
        var spec = report.Spec;
        object Plant(PlantEvaluation p) => new Dictionary<string, object?>
        {
            ["plant"] = p.Description,
            ["values"] = spec.Axes.Select((a, i) => (a.Name, Value: p.Plant.Values[i])).ToDictionary(v => v.Name, v => v.Value),
            ["mean_return"] = p.Result.Mean,
            ["std_return"] = p.Result.StdDev,
            ["change_pct"] = Finite(p.ChangePercent),
        };
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["policy"] = policyPath,
            ["env"] = envName,
            ["perturb"] = spec.Text,
            ["mode"] = sampled ? "samples" : "grid",
            ["plants"] = report.Plants.Count,
            ["episodes"] = episodes,
            ["seed"] = seed,
            ["nominal_mean_return"] = report.NominalResult.Mean,
            ["nominal_std_return"] = report.NominalResult.StdDev,
            ["mean_loss_pct"] = Finite(report.MeanLossPercent),
            ["worst_loss_pct"] = Finite(report.WorstLossPercent),
            ["worst"] = Plant(report.Worst),
            ["results"] = report.Plants.Select(Plant).ToArray(),
            ["csv"] = csvPath,
            ["heatmap"] = heatmapPath,
        });
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string MeanStd(EvaluationResult result) => $"{F(result.Mean)} ± {F(result.StdDev)}";

    private static string F(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Percent(double value, bool signed = true) => double.IsFinite(value)
        ? value.ToString(signed ? "+0.0;-0.0;0.0" : "0.0", CultureInfo.InvariantCulture) + "%"
        : "n/a";
}
