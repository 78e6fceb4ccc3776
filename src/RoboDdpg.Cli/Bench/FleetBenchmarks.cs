using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MQTTnet;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Timing;
using RoboDdpg.Fleet;
using RoboDdpg.Fleet.Sidecar;
using RoboDdpg.Sim;

namespace RoboDdpg.Cli.Bench;

/// <summary>
/// <c>roboddpg bench fleet</c>: learner ingest from N simulated robots, policy propagation latency, and the robot's
/// 1 kHz loop while its sender publishes, against the platform floor. Learner side and robots share this process.
/// </summary>
internal static class FleetBenchmarks
{
    public sealed record IngestResult(int Robots, double TransitionsPerSecond, long Accepted, long Missing, long Duplicates, long Malformed, long RingDropped,
        int MaxUnacknowledgedAtEnd);

    /// <summary>
    /// N robot threads each feed a ring as fast as the sender drains it (batches of 256, QoS 1, own connection);
    /// the learner side ingests into a 1M replay buffer. Rate over <paramref name="duration"/> after a warm-up second.
    /// </summary>
    public static IngestResult Ingest(BrokerOptions broker, int robots, TimeSpan duration)
    {
        var topics = new FleetTopics("bench" + Guid.NewGuid().ToString("N")[..8]);
        var key = FleetKey.Generate();
        var replay = new ReplayBuffer(1_000_000, 3, 1);
        var ingestor = new TransitionIngestor(topics, replay);
        using var learner = new FleetLearnerLink(broker, topics, key, ingestor);
        learner.Start();
        if (!learner.Link.WaitConnected(TimeSpan.FromSeconds(10))) throw new InvalidOperationException($"bench: cannot reach {broker.Uri}: {learner.Link.LastError}");

        using var spoolRoot = new TempFolder();
        var stop = false;
        var rings = new List<TransitionRing>();
        var senders = new List<(MqttLink Link, TransitionPublisher Publisher)>();
        var producers = new List<Thread>();
        for (var r = 0; r < robots; r++)
        {
            var id = $"sim-{r}";
            var ring = new TransitionRing(1 << 16, 3, 1);
            // Like FleetActor's link: the robot hears the learner's acknowledgements and forgets confirmed batches.
            TransitionPublisher? holder = null;
            var ackTopic = topics.Ack(id);
            var link = new MqttLink(broker, $"bench-{topics.Fleet}-{id}", false, null,
                e =>
                {
                    if (TransitionBatch.TryParseAck(MqttLink.Contiguous(e.ApplicationMessage.Payload), out var epoch, out var end))
                        Volatile.Read(ref holder)?.OnAcknowledged(epoch, end);
                    return Task.CompletedTask;
                },
                (client, token) => client.SubscribeAsync(ackTopic, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, token));
            var publisher = new TransitionPublisher(ring, link, topics, id, (ulong)r, new DiskSpool(Path.Combine(spoolRoot.Path, id), 1L << 30),
                new TransitionPublisherOptions { MaxBatch = 256, FlushInterval = TimeSpan.FromMilliseconds(5) });
            Volatile.Write(ref holder, publisher);
            link.Start();
            if (!link.WaitConnected(TimeSpan.FromSeconds(10))) throw new InvalidOperationException($"bench: robot {id} cannot reach {broker.Uri}");
            publisher.Start();
            rings.Add(ring);
            senders.Add((link, publisher));
            var seed = (ulong)r;
            var producer = new Thread(() =>
            {
                var rng = new Xoshiro256(seed);
                float[] o = new float[3], a = new float[1], n = new float[3];
                while (!Volatile.Read(ref stop))
                {
                    if (ring.Pending > ring.Capacity / 2) { Thread.Sleep(1); continue; } // keep up with the sender, drop nothing
                    for (var i = 0; i < 3; i++) { o[i] = (float)rng.NextUniform(-1, 1); n[i] = o[i]; }
                    a[0] = (float)rng.NextUniform(-2, 2);
                    ring.Add(o, a, -1f, n, false);
                }
            }) { IsBackground = true, Name = $"bench-robot-{r}" };
            producers.Add(producer);
        }
        foreach (var p in producers) p.Start();
        Thread.Sleep(1000);
        var start = ingestor.Accepted;
        var clock = Stopwatch.StartNew();
        Thread.Sleep(duration);
        var accepted = ingestor.Accepted - start;
        var seconds = clock.Elapsed.TotalSeconds;
        Volatile.Write(ref stop, true);
        foreach (var p in producers) p.Join();
        foreach (var (link, publisher) in senders)
        {
            publisher.Stop(TimeSpan.FromSeconds(10));
            link.Dispose();
        }
        var sent = senders.Sum(s => (long)s.Publisher.Status.NextSequence);
        var waited = Stopwatch.StartNew();
        while (ingestor.Accepted < sent && waited.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(10);
        var status = ingestor.Status;
        return new IngestResult(robots, accepted / seconds, status.Accepted, sent - status.Accepted + status.Missing, status.Duplicates, status.Malformed,
            rings.Sum(x => x.Dropped), senders.Max(x => x.Publisher.Status.Unacknowledged));
    }

    public sealed record PropagationResult(double P50Ms, double MaxMs, int Count);

    /// <summary>
    /// Publish → the robot's loop acting on it: a robot (pendulum twin, 1 kHz) in this process, its MQTT client in a
    /// sidecar process started by <paramref name="sidecar"/> or (null) in this process, a 256×256 snapshot published
    /// <paramref name="count"/> times, each timed until the loop's policy version changes.
    /// </summary>
    public static PropagationResult Propagation(BrokerOptions broker, RealtimeLoopOptions loopOptions, int count, SidecarLauncher? sidecar)
    {
        var topics = new FleetTopics("bench" + Guid.NewGuid().ToString("N")[..8]);
        var key = FleetKey.Generate();
        using var environment = EnvironmentRegistry.Create("pendulum").Start();
        var spec = environment.Spec;
        using var learner = StartLearnerSide(broker, topics, key, spec, 100_000, out _, out var policies);
        ulong version = 1;
        using var spool = new TempFolder();
        using var actor = FleetActor.Connect(environment, broker, key, new FleetActorOptions
        {
            RobotId = "bench-arm", Fleet = topics.Fleet, SpoolDirectory = spool.Path, WarmupTransitions = 0, PolicyTimeout = TimeSpan.FromSeconds(10),
        }, sidecar: sidecar);
        if (sidecar is not null && actor.Uplink.Kind != "sidecar") throw new InvalidOperationException("bench: the MQTT sidecar did not start");
        using var loop = new RealtimeLoop(actor.Control, loopOptions);
        loop.Start();
        actor.StartSending();
        Thread.Sleep(500);
        var latencies = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var before = actor.Control.Status.PolicyVersion;
            version++;
            var sent = Stopwatch.GetTimestamp();
            learner.PublishPolicy(policies[version % 2], Info(version, spec));
            while (actor.Control.Status.PolicyVersion == before && Stopwatch.GetElapsedTime(sent) < TimeSpan.FromSeconds(5)) Thread.Sleep(0);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            Thread.Sleep(250);
        }
        loop.Stop();
        actor.StopSending(TimeSpan.FromSeconds(5));
        latencies.Sort();
        return new PropagationResult(latencies[latencies.Count / 2], latencies[^1], latencies.Count);
    }

    public sealed record ActorProcessResult(JsonElement Report, long Ingested, int PoliciesPublished);

    /// <summary>
    /// The robot as it runs on a board: <c>roboddpg actor</c> in its own process at 1 kHz (pendulum twin, 256×256
    /// policy, noise, safety), streaming to the broker, while this process is the learner side: it ingests the
    /// transitions and publishes a new 256×256 snapshot every 0.5 s. Returns the actor's own report (actor.json).
    /// </summary>
    public static ActorProcessResult ActorProcess(BrokerOptions broker, IReadOnlyList<string> pacingArguments, TimeSpan duration)
    {
        var topics = new FleetTopics("bench" + Guid.NewGuid().ToString("N")[..8]);
        var key = FleetKey.Generate();
        using var folder = new TempFolder();
        var keyPath = Path.Combine(folder.Path, "fleet.key");
        key.Save(keyPath);
        using var environment = EnvironmentRegistry.Create("pendulum");
        var spec = environment.Spec;
        using var learner = StartLearnerSide(broker, topics, key, spec, 1_000_000, out var ingestor, out var policies);
        ulong version = 1;

        var outDir = Path.Combine(folder.Path, "actor");
        var self = ActorLinkCommand.SelfCommand("actor") ?? throw new CliError("bench fleet: cannot find this program to start the actor process");
        var info = new ProcessStartInfo(self.FileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in self.Arguments) info.ArgumentList.Add(a);
        foreach (var a in new[] { "--env", "pendulum", "--broker", broker.Uri, "--fleet", topics.Fleet, "--fleet-key", keyPath, "--robot-id", "bench-arm",
                     "--hz", "1000", "--seconds", duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--warmup", "0",
                     "--spool", Path.Combine(folder.Path, "spool"), "--out", outDir })
            info.ArgumentList.Add(a);
        foreach (var a in pacingArguments) info.ArgumentList.Add(a);
        using var child = Process.Start(info)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        var published = 0;
        while (!child.WaitForExit(500))
        {
            version++;
            if (learner.PublishPolicy(policies[version % 2], Info(version, spec))) published++;
        }
        if (child.ExitCode != 0) throw new InvalidOperationException($"bench: the actor process failed ({child.ExitCode}): {stderr.Result}");
        _ = stdout.Result;
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "actor.json"))).RootElement.Clone();
        var sent = report.GetProperty("sequence_next").GetInt64();
        var waited = Stopwatch.StartNew();
        while (ingestor.Accepted < sent && waited.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(10);
        return new ActorProcessResult(report, ingestor.Accepted, published);
    }

    /// <summary>
    /// The learner side of a bench: a connected learner link ingesting into a fresh replay buffer of
    /// <paramref name="replayCapacity"/>, with the first of two random 256×256 snapshots (alternated by the caller)
    /// published as version 1.
    /// </summary>
    private static FleetLearnerLink StartLearnerSide(BrokerOptions broker, FleetTopics topics, FleetKey key, EnvironmentSpec spec,
        int replayCapacity, out TransitionIngestor ingestor, out MlpPolicy[] policies)
    {
        ingestor = new TransitionIngestor(topics, new ReplayBuffer(replayCapacity, spec.ObservationSize, spec.ActionSize));
        var learner = new FleetLearnerLink(broker, topics, key, ingestor);
        try
        {
            learner.Start();
            if (!learner.Link.WaitConnected(TimeSpan.FromSeconds(10))) throw new InvalidOperationException($"bench: cannot reach {broker.Uri}: {learner.Link.LastError}");
            policies = [.. Enumerable.Range(0, 2).Select(i => RandomPolicy(spec, (ulong)i))];
            learner.PublishPolicy(policies[0], Info(1, spec));
            return learner;
        }
        catch
        {
            learner.Dispose();
            throw;
        }
    }

    private static PolicySnapshotInfo Info(ulong version, EnvironmentSpec spec) =>
        new(1, version, 1, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), spec.Name);

    private static MlpPolicy RandomPolicy(EnvironmentSpec spec, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        int[] sizes = [spec.ObservationSize, 256, 256, spec.ActionSize];
        var layers = new DenseLayer[3];
        for (var i = 0; i < 3; i++)
        {
            var w = new float[sizes[i] * sizes[i + 1]];
            for (var k = 0; k < w.Length; k++) w[k] = (float)(rng.NextGaussian() / Math.Sqrt(sizes[i]));
            layers[i] = new DenseLayer(sizes[i], sizes[i + 1], w, new float[sizes[i + 1]]);
        }
        return new MlpPolicy(layers, spec.Action.Low, spec.Action.High);
    }

    /// <summary>An embedded broker on a free loopback port, for a bench without --broker.</summary>
    public static (EmbeddedBroker Broker, BrokerOptions Options) StartEmbedded()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var broker = EmbeddedBroker.Start(new EmbeddedBrokerOptions { BindAddress = IPAddress.Loopback, Port = port });
        return (broker, new BrokerOptions { Host = "127.0.0.1", Port = port });
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("roboddpg-bench-").FullName;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
