using System.CommandLine;
using RoboDdpg.Core.Traces;
using RoboDdpg.Sim;
using RoboDdpg.Sim.Traces;
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg trace</c>: records a trace of a twin driven by a rich open-loop excitation (no policy needed), in the
/// CSV shape twin-check and fit read: the data to fit a twin to, or to test a fit against a known plant.
/// </summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var defaults = new ExcitationOptions();
        var env = OptionFactory.Environment(Sim.MotorPendulum.MotorPendulumEnvironment.Name);
        var parameters = OptionFactory.Create<string?>("--params", "twin parameter file (JSON; motor-pendulum): the plant to record", null);
        var steps = OptionFactory.AtLeast("--steps", "steps in all cases together", defaults.Steps, 1);
        var episodeSteps = OptionFactory.AtLeast("--episode-steps", "steps per case; each case starts from a random state and uses the next signal", defaults.EpisodeSteps, 1);
        var seed = OptionFactory.Create("--seed", "seed of start states and signals", defaults.Seed);
        var output = new Option<string>("--out") { Description = "trace CSV to write", Required = true };

        var command = new Command("trace", $"record an excitation trace of a twin ({string.Join(", ", ExcitationTrace.Signals)} in duty, varied start states)")
        {
            env, parameters, steps, episodeSteps, seed, output,
        };
        command.SetAction(parse =>
        {
            var envName = parse.GetValue(env)!;
            var settings = new TwinSettings(parse.GetValue(parameters) is { } file ? TwinFile.Read(file) : null);
            using var environment = Twins.Create(envName, settings);
            if (environment is not ITraceReplayable twin) throw new CliError($"environment '{envName}' cannot record excitation traces");
            var path = parse.GetValue(output)!;
            var options = new ExcitationOptions { Steps = parse.GetValue(steps), EpisodeSteps = parse.GetValue(episodeSteps), Seed = parse.GetValue(seed) };

            using var writer = TraceFiles.Create(path, twin.TraceSchema, "--out");
            ExcitationTrace.Record(twin, writer, options);
            writer.Complete();
            AnsiConsole.MarkupLineInterpolated($"wrote [blue]{path}[/]: {writer.Cases} cases, {writer.Steps} steps of excitation on {envName}{(settings.Parameters is { } p ? $" ({p.Path})" : "")}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Opening trace files for writing, with one-line errors.</summary>
internal static class TraceFiles
{
    public static TraceWriter Create(string path, TraceSchema schema, string option)
    {
        if (Directory.Exists(path)) throw new CliError($"{option} {path}: is a folder; give the trace file's path");
        try
        {
            return new TraceWriter(path, schema);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"{option} {path}: cannot write ({e.Message.ReplaceLineEndings(" ")})");
        }
    }
}
