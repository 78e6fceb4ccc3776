using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RoboDdpg.Core.IO;
using RoboDdpg.Sim.Fitting;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Perturbation;
using RoboDdpg.Sim.Traces;
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg fit</c>: estimates the motor pendulum's physical parameters from a recorded trace (least squares over
/// simulated rollouts, Levenberg–Marquardt in log-parameters) and writes them as a parameter file, reporting the
/// twin-check error before and after.
/// </summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var defaults = new MotorPendulumFitOptions();
        var env = OptionFactory.Environment(MotorPendulumEnvironment.Name);
        var trace = new Option<string>("--trace") { Description = "trace CSV (case,step,th0,thdot0,i0,action,cos,sin,thdot,reward), e.g. from run --record-trace or trace", Required = true };
        var start = OptionFactory.Create<string?>("--params", "parameter file to start from; everything not fitted keeps its value (default: the built-in defaults)", null);
        var output = new Option<string>("--out") { Description = "parameter file to write (JSON, like --params)", Required = true };
        var fit = OptionFactory.Create("--fit", $"parameters to fit, comma-separated: {string.Join(", ", PlantKnobs.ShortNames)}, or parameter-file names",
            string.Join(',', MotorPendulumFitOptions.DefaultKnobs));
        var horizon = OptionFactory.AtLeast("--horizon", "steps per simulated window, restarted from the recorded state (0: whole cases)", defaults.Horizon, 0);
        var velocityWeight = OptionFactory.InRange("--velocity-weight", "weight of θ̇ errors in seconds against cos/sin errors", defaults.VelocityWeight, 0, 1e6);
        var iterations = OptionFactory.AtLeast("--max-iterations", "Levenberg–Marquardt iterations at most", defaults.MaxIterations, 1);
        var velocity = OptionFactory.Create("--velocity", "what the trace's thdot holds: exact (twins) or finite-difference (encoder angle change per tick, as many drives report)", "exact");
        velocity.AcceptOnlyFromAmong("exact", "finite-difference");
        var json = OptionFactory.Create("--json", "print one JSON object instead of text", false);

        var command = new Command("fit", "estimate a twin's physical parameters from a recorded trace")
        {
            env, trace, start, output, fit, horizon, velocityWeight, velocity, iterations, json,
        };
        command.SetAction(parse =>
        {
            var envName = parse.GetValue(env)!;
            if (envName != MotorPendulumEnvironment.Name) throw new CliError($"fit estimates {MotorPendulumEnvironment.Name} parameters, not '{envName}'");
            var outPath = parse.GetValue(output)!;
            if (Directory.Exists(outPath)) throw new CliError($"--out {outPath}: is a folder; give the parameter file's path");
            var outDirectory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            if (!Directory.Exists(outDirectory)) throw new CliError($"--out {outPath}: folder {outDirectory} does not exist");

            var startParameters = parse.GetValue(start) is { } file ? MotorPendulumParameters.Load(file) : new MotorPendulumParameters();
            var options = new MotorPendulumFitOptions
            {
                Knobs = parse.GetValue(fit)!.Split(',', StringSplitOptions.TrimEntries),
                Horizon = parse.GetValue(horizon),
                VelocityWeight = parse.GetValue(velocityWeight),
                MaxIterations = parse.GetValue(iterations),
                VelocityOutput = parse.GetValue(velocity) == "finite-difference" ? VelocityOutput.FiniteDifference : VelocityOutput.Exact,
            };
            try
            {
                MotorPendulumFit.ResolveKnobs(options.Knobs, startParameters);
            }
            catch (ArgumentException e)
            {
                throw new CliError($"--fit: {e.Message}");
            }
            var tracePath = parse.GetValue(trace)!;
            var recorded = TraceReader.Read(tracePath, MotorPendulumEnvironment.Schema);

            var result = MotorPendulumFit.Run(recorded, startParameters, options);
            try
            {
                AtomicFile.WriteAllText(outPath, result.Fitted.ToJson());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"--out {outPath}: cannot write ({e.Message.ReplaceLineEndings(" ")})");
            }

            if (parse.GetValue(json)) Console.WriteLine(Json(result, tracePath, outPath, options));
            else Print(result, recorded, outPath);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(MotorPendulumFitResult result, Trace trace, string outPath)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("parameter")
            .AddColumn(new TableColumn("start").RightAligned()).AddColumn(new TableColumn("fitted").RightAligned()).AddColumn(new TableColumn("change").RightAligned());
        foreach (var v in result.Values)
            table.AddRow(Markup.Escape(v.Parameter), G6(v.Start), G6(v.Fitted), Markup.Escape(((v.Ratio - 1) * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%"));
        AnsiConsole.Write(table);
        var solver = result.Solver;
        AnsiConsole.MarkupLineInterpolated($"{trace.Cases.Count} cases, {trace.StepCount} steps; {solver.Iterations} iterations, {solver.Evaluations} simulations, {solver.StopReason}");
        AnsiConsole.MarkupLineInterpolated($"twin-check max abs error: {G(result.TwinCheckBefore.MaxAbsError)} → [bold]{G(result.TwinCheckAfter.MaxAbsError)}[/] ({Ratio(result.TwinCheckBefore.MaxAbsError, result.TwinCheckAfter.MaxAbsError)})");
        AnsiConsole.MarkupLineInterpolated($"rollout RMS error (cos, sin, θ̇): {G(result.Before.RmsError)} → [bold]{G(result.After.RmsError)}[/] ({Ratio(result.Before.RmsError, result.After.RmsError)})");
        AnsiConsole.MarkupLineInterpolated($"wrote [blue]{outPath}[/]");
    }

    private static string Json(MotorPendulumFitResult result, string tracePath, string outPath, MotorPendulumFitOptions options)
    {
        static object Check(TraceReplayResult r) => new Dictionary<string, object?>
        {
            ["max_abs_error"] = Finite(r.MaxAbsError),
            ["cos"] = Finite(r.MaxAbsErrors[0]),
            ["sin"] = Finite(r.MaxAbsErrors[1]),
            ["thdot"] = Finite(r.MaxAbsErrors[2]),
            ["reward"] = Finite(r.MaxAbsErrorReward),
        };
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["trace"] = tracePath,
            ["out"] = outPath,
            ["cases"] = result.TwinCheckBefore.Cases,
            ["steps"] = result.TwinCheckBefore.Steps,
            ["fit"] = result.Knobs.Select(k => k.Name).ToArray(),
            ["horizon"] = options.Horizon,
            ["velocity"] = options.VelocityOutput == VelocityOutput.Exact ? "exact" : "finite-difference",
            ["parameters"] = result.Values.Select(v => new Dictionary<string, object?> { ["name"] = v.Parameter, ["start"] = v.Start, ["fitted"] = v.Fitted, ["ratio"] = v.Ratio }).ToArray(),
            ["twin_check_before"] = Check(result.TwinCheckBefore),
            ["twin_check_after"] = Check(result.TwinCheckAfter),
            ["rms_error_before"] = Finite(result.Before.RmsError),
            ["rms_error_after"] = Finite(result.After.RmsError),
            ["iterations"] = result.Solver.Iterations,
            ["simulations"] = result.Solver.Evaluations,
            ["stop_reason"] = result.Solver.StopReason,
        });
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string G6(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Ratio(double before, double after)
    {
        if (!double.IsFinite(before) || !double.IsFinite(after)) return "n/a";
        if (after == 0) return before == 0 ? "unchanged" : "to zero";
        var ratio = before / after;
        return ratio >= 1
            ? $"{ratio.ToString(ratio >= 1000 ? "0.#e+0" : "0.#", CultureInfo.InvariantCulture)}× smaller"
            : $"{(1 / ratio).ToString("0.#", CultureInfo.InvariantCulture)}× larger";
    }
}
