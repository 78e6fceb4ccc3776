using System.CommandLine;
using System.Globalization;
using RoboDdpg.Cli.Output;
using RoboDdpg.Core.Environments;
using RoboDdpg.Learning;
using RoboDdpg.Learning.Training;
using RoboDdpg.Sim;
using RoboDdpg.Sim.Randomization;
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary><c>roboddpg train</c>: DDPG on a simulator twin with live progress; writes policy, checkpoint, metrics, summary and plot.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new DdpgOptions();
        var trainingDefaults = new TrainingOptions();
        var env = OptionFactory.Environment();
        var steps = OptionFactory.AtLeast("--steps", "total environment steps (a resumed run continues up to this count)", trainingDefaults.TotalSteps, 1);
        var seed = OptionFactory.Create("--seed", "random seed (network init, exploration, environment resets)", trainingDefaults.Seed);
        var output = OptionFactory.Create<string?>("--out", "output folder (default: runs/<env>-seed<S>-<time>, or the --resume folder)", null);
        var resume = OptionFactory.Create<string?>("--resume", "continue the run whose checkpoint is in this folder", null);
        var gamma = OptionFactory.InRange("--gamma", "discount factor γ", defaults.Gamma, 0, 1);
        var rho = OptionFactory.InRange("--rho", "Polyak coefficient ρ: φ_targ ← ρ·φ_targ + (1−ρ)·φ", defaults.Rho, 0, 1);
        var actorLr = OptionFactory.InRange("--actor-lr", "actor Adam learning rate", defaults.ActorLearningRate, 0, 1, minimumExclusive: true);
        var criticLr = OptionFactory.InRange("--critic-lr", "critic Adam learning rate", defaults.CriticLearningRate, 0, 1, minimumExclusive: true);
        var batch = OptionFactory.AtLeast("--batch-size", "minibatch size", defaults.BatchSize, 1);
        var buffer = OptionFactory.AtLeast("--buffer-size", "replay buffer capacity (transitions)", defaults.ReplayCapacity, 1);
        var warmup = OptionFactory.AtLeast("--warmup", "steps of uniform random actions before the policy acts and learning starts", defaults.WarmupSteps, 0);
        var utd = OptionFactory.InRange("--utd", "gradient updates per environment step (update-to-data ratio)", defaults.UpdatesPerStep, 0, 64);
        var noise = OptionFactory.Create("--noise", "exploration noise: gaussian or ou (Ornstein–Uhlenbeck)", "gaussian");
        noise.AcceptOnlyFromAmong("gaussian", "ou");
        var sigma = OptionFactory.InRange("--noise-sigma", "noise standard deviation, as a fraction of the action half-range", defaults.NoiseSigma, 0, 10);
        var hidden = OptionFactory.Create("--hidden", "hidden layer widths of actor and critic, comma-separated", string.Join(',', defaults.HiddenSizes));
        var threads = OptionFactory.AtLeast("--threads", "TorchSharp threads for the learner", defaults.Threads, 1);
        var evalInterval = OptionFactory.AtLeast("--eval-interval", "steps between evaluations (0: only at the end)", trainingDefaults.EvalInterval, 0);
        var evalEpisodes = OptionFactory.AtLeast("--eval-episodes", "deterministic episodes per evaluation", trainingDefaults.EvalEpisodes, 1);
        var checkpointInterval = OptionFactory.AtLeast("--checkpoint-interval", "steps between checkpoints (0: only at the end)", trainingDefaults.CheckpointInterval, 0);
        var noProgress = OptionFactory.Create("--no-progress", "plain log lines instead of the live progress bar", false);
        var parameters = OptionFactory.Create<string?>("--params", "twin parameter file (JSON; motor-pendulum, belt-cartpole)", null);
        var randomize = OptionFactory.Create<string?>("--randomize", "per-episode randomization ranges (JSON; motor-pendulum); evaluation stays on the nominal plant", null);

        Option[] hyperparameters = [gamma, rho, actorLr, criticLr, batch, buffer, warmup, utd, noise, sigma, hidden, threads, evalInterval, evalEpisodes, checkpointInterval, seed, env, parameters, randomize];
        var command = new Command("train", "train DDPG on a simulator twin");
        foreach (var option in new Option[] { steps, output, resume, noProgress }.Concat(hyperparameters)) command.Options.Add(option);

        command.SetAction(parse =>
        {
            var resumeDir = parse.GetValue(resume);
            if (resumeDir is not null)
            {
                var fixedByCheckpoint = hyperparameters.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
                if (fixedByCheckpoint is not null)
                    throw new CliError($"{fixedByCheckpoint.Name} cannot be changed when resuming: the run keeps the settings in its checkpoint");
                if (!Directory.Exists(resumeDir)) throw new CliError($"{resumeDir}: resume folder not found");
                var resumeOut = TrainingRun.PrepareOutput(parse.GetValue(output) ?? resumeDir, allowExistingRun: true);
                using var resumeTwins = new TwinFactory(resumeOut); // disposed after the trainer: it owns the randomization log
                using var resumed = DdpgTrainer.Resume(Path.Combine(resumeDir, TrainingRun.CheckpointFileName), resumeTwins.Create, parse.GetValue(steps));
                return Train(resumed, resumeOut, resumeDir, parse.GetValue(noProgress));
            }

            var ddpg = new DdpgOptions
            {
                Gamma = parse.GetValue(gamma),
                Rho = parse.GetValue(rho),
                ActorLearningRate = parse.GetValue(actorLr),
                CriticLearningRate = parse.GetValue(criticLr),
                BatchSize = parse.GetValue(batch),
                ReplayCapacity = parse.GetValue(buffer),
                WarmupSteps = parse.GetValue(warmup),
                UpdatesPerStep = parse.GetValue(utd),
                Noise = parse.GetValue(noise) == "ou" ? NoiseKind.OrnsteinUhlenbeck : NoiseKind.Gaussian,
                NoiseSigma = parse.GetValue(sigma),
                HiddenSizes = OptionFactory.ParseHidden(parse.GetValue(hidden)!),
                Threads = parse.GetValue(threads),
            };
            var training = new TrainingOptions
            {
                EnvironmentFiles = ReadEnvironmentFiles(parse.GetValue(parameters), parse.GetValue(randomize)),
                TotalSteps = parse.GetValue(steps),
                Seed = parse.GetValue(seed),
                EvalInterval = parse.GetValue(evalInterval),
                EvalEpisodes = parse.GetValue(evalEpisodes),
                CheckpointInterval = parse.GetValue(checkpointInterval),
            };
            Validate(ddpg.Validate);
            Validate(training.Validate);
            var envName = parse.GetValue(env)!;
            CheckTwin(envName, TwinFactory.Settings(training, forEvaluation: false));
            var outDir = TrainingRun.PrepareOutput(
                parse.GetValue(output) ?? Path.Combine("runs", $"{envName}-seed{training.Seed}-{DateTime.Now:yyyyMMdd-HHmmss}"), allowExistingRun: false);
            using var twins = new TwinFactory(outDir); // disposed after the trainer: it owns the randomization log
            using var trainer = new DdpgTrainer(() => twins.Create(envName, training, forEvaluation: false), ddpg, training,
                () => twins.Create(envName, training, forEvaluation: true));
            return Train(trainer, outDir, resumedFrom: null, parse.GetValue(noProgress));
        });
        return command;
    }

    private static int Train(DdpgTrainer trainer, string outDir, string? resumedFrom, bool plain)
    {
        using var stop = new StopSignal(); // Ctrl+C or SIGTERM: finish the current step, then save everything
        var console = AnsiConsole.Console;
        console.MarkupLineInterpolated($"[bold]roboddpg train[/] {trainer.Spec.Name}: {trainer.EnvSteps} → {trainer.Training.TotalSteps} steps, seed {trainer.Training.Seed}, output [blue]{outDir}[/]");
        var summary = TrainingProgressView.Run(console, trainer.Training.TotalSteps, trainer.EnvSteps, plain || !console.Profile.Capabilities.Interactive,
            observer => TrainingRun.Execute(trainer, outDir, observer, resumedFrom, stop.Token));

        var plotPath = Path.Combine(outDir, LearningCurvePlot.FileName);
        LearningCurvePlot.Save(Path.Combine(outDir, TrainingRun.MetricsFileName), plotPath, trainer.Spec.Name);
        TrainingProgressView.PrintSummary(console, summary, outDir);
        if (!summary.Completed)
        {
            console.MarkupLine($"[yellow]interrupted[/]: saved at step {summary.EnvSteps}; continue with [bold]--resume {Markup.Escape(outDir)}[/]");
            return ExitCodes.Interrupted;
        }
        return ExitCodes.Ok;
    }

    private static EnvironmentFiles? ReadEnvironmentFiles(string? parametersPath, string? randomizationPath)
    {
        if (parametersPath is null && randomizationPath is null) return null;
        var parameters = parametersPath is null ? null : TwinFile.Read(parametersPath);
        var randomization = randomizationPath is null ? null : TwinFile.Read(randomizationPath);
        return new EnvironmentFiles(parameters?.Path, parameters?.Json, randomization?.Path, randomization?.Json);
    }

    // Builds the twin once before anything is written, so a bad parameter or randomization file (or a twin that takes
    // none) is reported before an output folder appears.
    private static void CheckTwin(string name, TwinSettings settings) => Twins.Create(name, settings).Dispose();

    /// <summary>
    /// Makes the training and evaluation twins from the options in a run or its checkpoint, and logs the parameters of
    /// every randomized training episode to randomization.csv.
    /// </summary>
    /// <param name="outDir">Where randomization.csv goes; null logs nothing (e.g. when only exporting).</param>
    internal sealed class TwinFactory(string? outDir) : IDisposable
    {
        public const string LogFileName = "randomization.csv";
        private RandomizationLog? _log;

        public static TwinSettings Settings(TrainingOptions training, bool forEvaluation)
        {
            var files = training.EnvironmentFiles;
            return new TwinSettings(
                files?.ParametersJson is { } p ? new TwinFile(files.ParametersPath ?? "parameters", p) : null,
                !forEvaluation && files?.RandomizationJson is { } r ? new TwinFile(files.RandomizationPath ?? "randomization", r) : null);
        }

        public IEnvironment Create(string name, TrainingOptions training, bool forEvaluation)
        {
            var environment = EnvironmentRegistry.Create(name, Settings(training, forEvaluation));
            if (outDir is not null && environment is RandomizedEnvironment randomized)
            {
                _log ??= new RandomizationLog(Path.Combine(outDir, LogFileName), randomized.Config.Names);
                _log.Attach(randomized);
            }
            return environment;
        }

        public void Dispose() => _log?.Dispose();
    }

    private static void Validate(Action validate)
    {
        try { validate(); }
        catch (ArgumentException e) { throw new CliError(e.Message.Split(" (Parameter")[0]); }
    }
}
