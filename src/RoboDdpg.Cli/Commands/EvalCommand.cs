using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Sim;
using RoboDdpg.Sim.MotorPendulum;
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary><c>roboddpg eval</c>: mean and std return of a saved policy, run by the managed actor (no TorchSharp).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "policy file written by train", Required = true };
        var env = OptionFactory.Environment();
        var episodes = OptionFactory.AtLeast("--episodes", "deterministic evaluation episodes", 10, 1);
        var seed = OptionFactory.Create("--seed", "seed of episode 0 (episode i uses seed + i)", PolicyEvaluator.DefaultSeed);
        var json = OptionFactory.Create("--json", "print one JSON object instead of text", false);
        var parameters = OptionFactory.Create<string?>("--params", "twin parameter file (JSON; motor-pendulum, belt-cartpole): evaluate on that plant", null);

        var command = new Command("eval", "evaluate a saved policy without exploration noise") { policy, env, episodes, seed, json, parameters };
#if !ROBOT // robustness sweeps (and their heat-map plot) belong to the PC build
        var perturbation = new PerturbEvaluation();
        perturbation.AddTo(command);
#endif
        command.SetAction(parse =>
        {
            var path = parse.GetValue(policy)!;
            var (mlp, metadata) = PolicyFile.Load(path);
            var envName = parse.GetValue(env)!;
            var settings = new TwinSettings(parse.GetValue(parameters) is { } file ? TwinFile.Read(file) : null);
            using var environment = Twins.Create(envName, settings).Start();
            // A policy from another plant qualifies when it sees and drives the same things (e.g. one fine-tuned on the
            // robot built after this twin: same observation and action names).
            if (metadata.Environment != envName && (!metadata.ObservationNames.SequenceEqual(environment.Spec.Observation.Names) ||
                                                    !metadata.ActionNames.SequenceEqual(environment.Spec.Action.Names)))
                throw new CliError($"{path}: policy was trained on '{metadata.Environment}', not '{envName}', and its observation/action names differ");
            if (mlp.ObservationSize != environment.Spec.ObservationSize || mlp.ActionSize != environment.Spec.ActionSize)
                throw new CliError($"{path}: policy maps {mlp.ObservationSize} observations to {mlp.ActionSize} actions, '{envName}' has {environment.Spec.ObservationSize} and {environment.Spec.ActionSize}");

#if !ROBOT
            if (perturbation.Requested(parse))
            {
                var nominal = parse.GetValue(parameters) is { } nominalFile ? MotorPendulumParameters.Load(nominalFile) : new MotorPendulumParameters();
                return perturbation.Run(parse, path, mlp, envName, nominal, parse.GetValue(episodes), parse.GetValue(seed), parse.GetValue(json));
            }
#endif

            var result = PolicyEvaluator.Evaluate(environment, mlp, parse.GetValue(episodes), parse.GetValue(seed));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    policy = path,
                    env = envName,
                    episodes = result.Returns.Count,
                    seed = parse.GetValue(seed),
                    mean_return = result.Mean,
                    std_return = result.StdDev,
                    returns = result.Returns,
                }));
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"{envName}: mean return [bold]{result.Mean.ToString("F2", CultureInfo.InvariantCulture)}[/] ± {result.StdDev.ToString("F2", CultureInfo.InvariantCulture)} over {result.Returns.Count} episodes (policy trained {metadata.TrainingSteps} steps)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
