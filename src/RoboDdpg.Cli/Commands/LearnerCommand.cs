using System.CommandLine;
using System.Globalization;
using System.Net;
using RoboDdpg.Cli.Fleet;
using RoboDdpg.Fleet;
using RoboDdpg.Learning;
using RoboDdpg.Learning.Online;
using RoboDdpg.Learning.Training;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg learner</c>: trains DDPG from the transitions a fleet of robots streams over MQTT and publishes signed
/// policy snapshots; optionally runs the broker itself. Restarting it with the same --out resumes from its checkpoint.
/// </summary>
internal static class LearnerCommand
{
    public static Command Create()
    {
        var d = new DdpgOptions();
        var env = OptionFactory.Environment();
        var fleet = new FleetOptionSet();
        var embedded = OptionFactory.Create("--embedded-broker", "run an MQTT broker inside the learner (robots connect to this machine)", false);
        var listen = OptionFactory.Create("--listen", "embedded broker: address and port to listen on", "0.0.0.0:1883");
        var output = OptionFactory.Create<string?>("--out", "output folder; holding a checkpoint, the learner resumes from it (default: runs/learner-<env>-<fleet>)", null);
        var hidden = OptionFactory.Create("--hidden", "hidden layer widths of actor and critic, comma-separated", string.Join(',', d.HiddenSizes));
        var batch = OptionFactory.AtLeast("--batch-size", "minibatch", d.BatchSize, 1);
        var buffer = OptionFactory.AtLeast("--buffer-size", "replay capacity", d.ReplayCapacity, 1);
        var gamma = OptionFactory.InRange("--gamma", "discount", d.Gamma, 0, 1);
        var actorLr = OptionFactory.InRange("--actor-lr", "actor learning rate", d.ActorLearningRate, 0, 1, minimumExclusive: true);
        var criticLr = OptionFactory.InRange("--critic-lr", "critic learning rate", d.CriticLearningRate, 0, 1, minimumExclusive: true);
        var utd = OptionFactory.InRange("--utd", "updates per ingested transition", d.UpdatesPerStep, 0, 64, minimumExclusive: true);
        var warmup = OptionFactory.AtLeast("--warmup", "transitions ingested before the first update", d.WarmupSteps, 0);
        var threads = OptionFactory.AtLeast("--threads", "TorchSharp threads", d.Threads, 1);
        var seed = OptionFactory.Create("--seed", "seed of network initialisation and replay sampling", 1UL);
        var publishEvery = OptionFactory.AtLeast("--publish-every", "updates between snapshots taken from the learner", new LearnerOptions().PublishEvery, 1);
        var publishInterval = OptionFactory.InRange("--publish-interval-ms", "least time between two policies published to the fleet", 250, 0, 1e7);
        var evalInterval = OptionFactory.AtLeast("--eval-interval", "ingested transitions between evaluations on the learner's own twin", 1000L, 1L);
        var evalEpisodes = OptionFactory.AtLeast("--eval-episodes", "episodes per evaluation", 10, 1);
        var checkpointInterval = OptionFactory.AtLeast("--checkpoint-interval", "ingested transitions between checkpoints", 5000L, 1L);
        var maxTransitions = OptionFactory.AtLeast("--max-transitions", "stop after ingesting this many transitions (0: no limit)", 0L, 0L);
        var stopAt = OptionFactory.Create<double?>("--stop-at-return", "stop once an evaluation reaches this mean return", null);
        var seconds = OptionFactory.InRange("--seconds", "run time (default: until Ctrl+C)", 0, 0, 1e9);
        var command = new Command("learner", "train from a fleet of robots over MQTT and publish signed policy snapshots")
        {
            env, embedded, listen, output, hidden, batch, buffer, gamma, actorLr, criticLr, utd, warmup, threads, seed, publishEvery, publishInterval,
            evalInterval, evalEpisodes, checkpointInterval, maxTransitions, stopAt, seconds,
        };
        fleet.AddTo(command);
        command.SetAction(parse =>
        {
            var envName = parse.GetValue(env)!;
            var topics = fleet.Topics(parse);
            var outDir = TrainingRun.PrepareOutput(parse.GetValue(output) ?? Path.Combine("runs", $"learner-{envName}-{topics.Fleet}"), allowExistingRun: true);
            var ddpg = new DdpgOptions
            {
                HiddenSizes = OptionFactory.ParseHidden(parse.GetValue(hidden)!),
                BatchSize = parse.GetValue(batch),
                ReplayCapacity = parse.GetValue(buffer),
                Gamma = parse.GetValue(gamma),
                ActorLearningRate = parse.GetValue(actorLr),
                CriticLearningRate = parse.GetValue(criticLr),
                UpdatesPerStep = parse.GetValue(utd),
                WarmupSteps = parse.GetValue(warmup),
                Threads = parse.GetValue(threads),
            };
            try
            {
                ddpg.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CliError(e.Message.Split(" (Parameter")[0]);
            }

            // With the embedded broker and no --broker, the learner talks to its own broker over loopback.
            EmbeddedBrokerOptions? brokerToRun = null;
            if (parse.GetValue(embedded))
            {
                var (address, port) = ParseListen(parse.GetValue(listen)!);
                brokerToRun = new EmbeddedBrokerOptions { BindAddress = address, Port = port };
            }
            var brokerUri = parse.GetValue(fleet.Broker) ?? (brokerToRun is { } b ? $"mqtt://127.0.0.1:{b.Port}" : null);
            var broker = fleet.BrokerOptions(parse, brokerUri);
            if (brokerToRun is not null) brokerToRun = brokerToRun with { Username = broker.Username, Password = broker.Password };

            var settings = new LearnerSettings(envName, topics, outDir, ddpg, parse.GetValue(seed),
                new LearnerOptions { UpdatesPerTransition = ddpg.UpdatesPerStep, PublishEvery = parse.GetValue(publishEvery), TorchThreads = ddpg.Threads },
                TimeSpan.FromMilliseconds(parse.GetValue(publishInterval)), parse.GetValue(evalInterval), parse.GetValue(evalEpisodes),
                parse.GetValue(checkpointInterval), parse.GetValue(maxTransitions), parse.GetValue(stopAt), parse.GetValue(seconds));
            var key = LearnerSession.LoadOrCreateKey(parse.GetValue(fleet.FleetKey), outDir);
            using var session = new LearnerSession(settings, key, broker, brokerToRun);
            return session.Run();
        });
        return command;
    }

    private static (IPAddress Address, int Port) ParseListen(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !IPAddress.TryParse(text[..colon].Trim('[', ']'), out var address)
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new CliError($"--listen: '{text}' is not ADDRESS:PORT (e.g. 0.0.0.0:1883 or 127.0.0.1:18830)");
        return (address, port);
    }
}
