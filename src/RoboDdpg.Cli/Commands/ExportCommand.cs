using System.CommandLine;
using RoboDdpg.Core.Policy;
using RoboDdpg.Learning.Training;
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg export</c>: the actor of a checkpoint as a portable policy file (weights, action bounds, observation and
/// action names, environment, creation time, training steps, SHA-256), loadable without TorchSharp.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "run folder (or its checkpoint.rdckpt) to export from", Required = true };
        var output = new Option<string>("--out") { Description = "policy file to write", Required = true };
        var command = new Command("export", "write the policy of a checkpoint as a portable file for the managed actor") { checkpoint, output };
        command.SetAction(parse =>
        {
            var source = parse.GetValue(checkpoint)!;
            var path = Directory.Exists(source) ? Path.Combine(source, TrainingRun.CheckpointFileName) : source;
            var destination = parse.GetValue(output)!;
            if (Directory.Exists(destination)) throw new CliError($"{destination}: is a folder; give the policy file's path");

            using var twins = new TrainCommand.TwinFactory(outDir: null);
            using var trainer = DdpgTrainer.Resume(path, twins.Create);
            var metadata = new PolicyMetadata(trainer.Spec.Name, trainer.Spec.Observation.Names, trainer.Spec.Action.Names,
                DateTimeOffset.UtcNow, trainer.EnvSteps);
            try
            {
                PolicyFile.Save(destination, trainer.ExportPolicy(), metadata);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"{destination}: cannot write ({e.Message.ReplaceLineEndings(" ")})");
            }
            AnsiConsole.MarkupLineInterpolated($"wrote [blue]{destination}[/]: {trainer.Spec.Name} policy after {trainer.EnvSteps} steps");
            return ExitCodes.Ok;
        });
        return command;
    }
}
