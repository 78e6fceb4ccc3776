using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RoboDdpg.Cli.Fleet;
using RoboDdpg.Cli.Output;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;
using RoboDdpg.Fleet;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg actor</c> (and <c>roboddpg-robot actor</c> on the board): a described robot (<c>--robot</c>, real or
/// <c>--emulate</c>d devices) or a twin acting for a remote learner. The control loop runs the newest verified policy
/// snapshot from the broker and streams its transitions back; see src/RoboDdpg.Fleet/README.md.
/// </summary>
internal static class ActorCommand
{
    public static Command Create()
    {
        var env = OptionFactory.Environment();
        var fleet = new FleetOptionSet();
        var robotId = OptionFactory.Create<string?>("--robot-id", "this robot's id in the fleet (default: robot-<host name>)", null);
        var hz = OptionFactory.InRange("--hz", "control rate in ticks per second (default: the environment's own rate)", 0, 0, RealtimeLoopOptions.MaxRateHz);
        var seconds = OptionFactory.InRange("--seconds", "run time (default: until Ctrl+C)", 0, 0, 1e9);
        var maxTransitions = OptionFactory.AtLeast("--max-transitions", "stop after recording this many transitions (0: no limit)", 0L, 0L);
        var seed = OptionFactory.Create("--seed", "seed of resets, exploration and warm-up actions", 1UL);
        var sigma = OptionFactory.InRange("--noise-sigma", "exploration noise σ as a fraction of the action half-range", 0.1, 0, 10);
        var warmup = OptionFactory.AtLeast("--warmup", "uniform random actions first, while the learner's policy is untrained", 1000L, 0L);
        var spool = OptionFactory.Create<string?>("--spool", "folder of the on-disk queue for transitions the broker did not take (default: ~/.local/share/roboddpg/spool/<fleet>/<robot>)", null);
        var spoolMb = OptionFactory.AtLeast("--spool-max-mb", "bound of the on-disk queue; beyond it the oldest batches are dropped", 256, 1);
        var policyTimeout = OptionFactory.InRange("--policy-timeout", "seconds to wait for the first policy snapshot", 60, 0.1, 1e6);
        var drain = OptionFactory.InRange("--drain-seconds", "at exit, seconds to wait for queued transitions to be delivered", 10, 0, 1e6);
        var batch = OptionFactory.AtLeast("--batch", "largest transition batch per message", new TransitionPublisherOptions().MaxBatch, 1);
        var output = OptionFactory.Create<string?>("--out", "output folder (default: runs/actor-<robot>-<time>)", null);
        var maxDelta = OptionFactory.InRange("--max-delta", "safety: largest action change per tick in action units (0: no rate limit)", 0, 0, 1e9);
        var watchdog = OptionFactory.AtLeast("--watchdog-ticks", "safety: ticks without a fresh observation before the safe action", new SafetyOptions().WatchdogTicks, 1);
        var estopFile = OptionFactory.Create<string?>("--estop-file", "e-stop input: while this file exists the loop writes the safe action", null);
        var plantOptions = new PlantOptionSet();
        var learnerEnv = OptionFactory.Create<string?>("--learner-env", "with --robot: the twin the learner trains on, which its snapshots name (default: the description's emulation twin)", null);
        var link = OptionFactory.Create("--link", "where the MQTT client runs: sidecar (its own process, so its garbage collections never pause the loop) or direct (the loop's process)", "sidecar");
        link.AcceptOnlyFromAmong("sidecar", "direct");
        var pacing = new LoopOptionSet();
        var command = new Command("actor", "act for a remote learner: run the control loop on the broker's newest policy and stream transitions")
        {
            env, plantOptions.Robot, plantOptions.Emulate, learnerEnv, robotId, hz, seconds, maxTransitions, seed, sigma, warmup, spool, spoolMb, policyTimeout, drain, batch, output, maxDelta, watchdog, estopFile, link,
        };
        fleet.AddTo(command);
        pacing.AddTo(command);
        command.SetAction(parse =>
        {
            var keyPath = parse.GetValue(fleet.FleetKey) ?? throw new CliError("actor needs --fleet-key FILE: the key the learner signs policies with (the learner writes fleet.key into its output folder)");
            var robotPath = plantOptions.RobotPath(parse, env);
            var key = FleetKey.Load(keyPath);
            var broker = fleet.BrokerOptions(parse);
            var topics = fleet.Topics(parse);
            var id = parse.GetValue(robotId) ?? DefaultRobotId();
            FleetTopics.ValidateName(id, "--robot-id");
            var spoolDir = parse.GetValue(spool) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "roboddpg", "spool", topics.Fleet, id);
            var outDir = OutputDirectory.Prepare(parse.GetValue(output) ?? Path.Combine("runs", $"actor-{id}-{DateTime.Now:yyyyMMdd-HHmmss}"),
                [SummaryFileName, .. TimingPlot.FileNames]);

            // The plant is opened (devices configured, activated, safe action written) before the broker is contacted.
            using var plant = plantOptions.Open(parse, robotPath, env);
            var environment = plant.Environment;
            var trainedOn = parse.GetValue(learnerEnv);
            if (robotPath is null && trainedOn is not null) throw new CliError("--learner-env is for --robot (a twin's snapshots name the twin itself)");
            if (plant.Robot is { } described)
                trainedOn ??= described.Description.Emulation?.Twin
                              ?? throw new CliError($"{robotPath}: no emulation twin in the description; give --learner-env NAME, the twin the learner trains on");
            var rate = parse.GetValue(hz) is > 0 and var r ? r : 1.0 / environment.Spec.ControlPeriodSeconds;
            var options = new FleetActorOptions
            {
                RobotId = id,
                Fleet = topics.Fleet,
                Seed = parse.GetValue(seed),
                NoiseSigma = parse.GetValue(sigma),
                WarmupTransitions = parse.GetValue(warmup),
                SpoolDirectory = spoolDir,
                SpoolMaxBytes = parse.GetValue(spoolMb) * (1L << 20),
                PolicyTimeout = TimeSpan.FromSeconds(parse.GetValue(policyTimeout)),
                SettleTicks = plant.Robot?.Description.SettleTicks ?? 0,
                PolicyEnvironment = trainedOn,
                Publisher = new TransitionPublisherOptions { MaxBatch = Math.Min(parse.GetValue(batch), TransitionBatch.MaxCount) },
                Safety = new SafetyOptions
                {
                    MaxDeltaPerTick = parse.GetValue(maxDelta) > 0 ? [(float)parse.GetValue(maxDelta)] : null,
                    WatchdogTicks = parse.GetValue(watchdog),
                },
            };
            using var stop = new StopSignal();
            Console.WriteLine($"roboddpg actor: robot '{id}' on {plant.Name} at {rate.ToString("0.##", CultureInfo.InvariantCulture)} Hz, fleet '{topics.Fleet}' via {broker.Uri}, output {outDir} (Ctrl+C stops)");
            FleetActor actor;
            try
            {
                var wantSidecar = parse.GetValue(link) == "sidecar";
                var sidecar = wantSidecar ? ActorLinkCommand.SelfLauncher() : null;
                if (wantSidecar && sidecar is null) Log("cannot find this program to start the MQTT sidecar; the MQTT client runs in the loop's process");
                actor = FleetActor.Connect(environment, broker, key, options, Log, stop.Token, sidecar);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Interrupted;
            }
            using (actor)
            {
                var warmupTicks = (actor.Policies.Current!.Updates == 0 ? options.WarmupTransitions : 0) + 100;
                var loopOptions = pacing.Build(parse, rate, warmupTicks);
                return Run(actor, plant, loopOptions, outDir, parse.GetValue(seconds), parse.GetValue(maxTransitions),
                    TimeSpan.FromSeconds(parse.GetValue(drain)), parse.GetValue(estopFile), stop);
            }
        });
        return command;
    }

    public const string SummaryFileName = "actor.json";

    private static string DefaultRobotId()
    {
        var host = new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
        var id = $"robot-{host}";
        return id.Length > FleetTopics.MaxNameLength ? id[..FleetTopics.MaxNameLength] : id;
    }

    private static void Log(string message) => Console.Error.WriteLine($"actor: {message}");

    private static int Run(FleetActor actor, Plant plant, RealtimeLoopOptions loopOptions, string outDir, double seconds,
        long maxTransitions, TimeSpan drain, string? estopFile, StopSignal stop)
    {
        var clock = Stopwatch.StartNew();
        using var loop = new RealtimeLoop(actor.Control, loopOptions);
        Exception? loopFault = null;
        RuntimeSuspensionMonitor? suspensions = null;
        try
        {
            loop.Start();
            suspensions = new RuntimeSuspensionMonitor(); // after the start's deliberate collection
            plant.Emulation?.Faults.Start(); // scheduled faults count from the loop's start
            actor.StartSending();
            var deadline = seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
            var nextLine = TimeSpan.FromSeconds(5);
            while (!stop.Requested && clock.Elapsed < deadline && loop.Fault is null && actor.Control.Status.Fault is null
                   && (maxTransitions == 0 || actor.Ring.TotalAdded < maxTransitions))
            {
                if (estopFile is not null)
                {
                    var pressed = File.Exists(estopFile);
                    var safety = actor.Control.Safety;
                    if (pressed && !safety.EmergencyStopped) safety.EngageEmergencyStop($"e-stop file {estopFile} present");
                    else if (!pressed && safety.EmergencyStopped) safety.ReleaseEmergencyStop();
                }
                if (clock.Elapsed >= nextLine)
                {
                    Console.WriteLine(StatusLine(actor, loop.Stats));
                    actor.PublishStatus(StatusFields(actor, loop.Stats, "acting"));
                    nextLine += TimeSpan.FromSeconds(5);
                }
                if (actor.CollectionDue()) loop.RequestCollection();
                // With --max-transitions the loop is stopped within a tick or two of the count.
                stop.Token.WaitHandle.WaitOne(maxTransitions > 0 ? 1 : 20);
            }
        }
        finally
        {
            try { loop.Stop(); } catch (RealtimeLoopFaultException e) { loopFault = e; }
            suspensions?.Dispose();
            plant.Environment.Deactivate();
            actor.StopSending(drain);
        }

        var stats = loop.Stats;
        var jitter = new LatencyHistogram();
        var compute = new LatencyHistogram();
        loop.CopyJitterHistogram(jitter);
        loop.CopyComputeHistogram(compute);
        var timingFiles = TimingPlot.Save(outDir, jitter, compute, loopOptions.RateHz);
        var summary = StatusFields(actor, stats, "stopped");
        summary["wall_seconds"] = clock.Elapsed.TotalSeconds;
        var stopped = suspensions?.Counts ?? default;
        // Every stop of all managed threads while the loop ran, for a collection or any other runtime work.
        summary["runtime_suspensions"] = stopped.Count;
        summary["runtime_suspensions_for_gc"] = stopped.ForGarbageCollection;
        summary["runtime_suspension_max_ms"] = stopped.MaxMilliseconds;
        summary["loop_fault"] = loopFault?.InnerException?.Message ?? loopFault?.Message;
        summary["sender_fault"] = actor.Uplink.SenderFault;
        summary["device_fault"] = actor.Control.Status.Fault;
        actor.PublishStatus(summary);
        AtomicFile.WriteAllText(Path.Combine(outDir, SummaryFileName), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine(StatusLine(actor, stats));
        Console.WriteLine($"wrote {outDir}: {SummaryFileName}, {string.Join(", ", timingFiles)}");
        if (actor.Control.Status.Fault is { } deviceFault)
        {
            Console.Error.WriteLine($"roboddpg: stopped by a device fault: {deviceFault} (safe action written, transitions recorded so far sent or spooled)");
            return ExitCodes.DeviceFault;
        }
        if (loopFault is not null)
        {
            Console.Error.WriteLine($"roboddpg: control loop stopped by a fault: {loopFault.InnerException?.Message ?? loopFault.Message} (safe action written)");
            return ExitCodes.InternalError;
        }
        return stop.Requested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    private static string StatusLine(FleetActor actor, RealtimeLoopStats stats)
    {
        var p = actor.Sending;
        var policy = actor.Policies.Status;
        var status = actor.Control.Status;
        return string.Create(CultureInfo.InvariantCulture,
            $"ticks {stats.TotalTicks} | jitter p99 {stats.Jitter.P99Nanoseconds / 1e3:0.#} µs max {stats.Jitter.MaxNanoseconds / 1e3:0.#} µs | overruns {stats.Overruns} | " +
            $"episodes {status.Episodes} last {status.LastEpisodeReturn:0.#} | transitions {actor.Ring.TotalAdded} sent {p.Published} spooled {p.Spooled} resent {p.Resent} (spool {p.SpoolPending}) | " +
            $"policy v{policy.Version} ({policy.Accepted} accepted, {policy.Refused} refused) | broker {(actor.Uplink.IsConnected ? "up" : "DOWN")}");
    }

    private static Dictionary<string, object?> StatusFields(FleetActor actor, RealtimeLoopStats stats, string state)
    {
        var p = actor.Sending;
        var policy = actor.Policies.Status;
        var status = actor.Control.Status;
        var safety = actor.Control.Safety.Counters;
        return new Dictionary<string, object?>
        {
            ["state"] = state,
            ["robot_id"] = actor.RobotId,
            ["link"] = actor.Uplink.Kind,
            ["link_restarts"] = (actor.Uplink as RoboDdpg.Fleet.Sidecar.SidecarUplink)?.Restarts ?? 0,
            ["epoch"] = p.Epoch.ToString("x16", CultureInfo.InvariantCulture),
            ["rate_hz"] = stats.RateHz,
            ["ticks"] = stats.TotalTicks,
            ["jitter_p50_us"] = stats.Jitter.P50Nanoseconds / 1e3,
            ["jitter_p99_us"] = stats.Jitter.P99Nanoseconds / 1e3,
            ["jitter_max_us"] = stats.Jitter.MaxNanoseconds / 1e3,
            ["overruns"] = stats.Overruns,
            ["loop_alloc_bytes"] = stats.AllocatedBytes,
            ["loop_alloc_bytes_per_tick"] = stats.AllocatedBytesPerTick,
            ["gc_count"] = stats.GcCount,
            ["gc_pause_max_ms"] = stats.GcPauseMaxMilliseconds,
            ["gc_pause_total_ms"] = stats.GcPauseTotalMilliseconds,
            ["gc_in_loop_slack"] = stats.SlackCollections,
            ["episodes"] = status.Episodes,
            ["last_episode_return"] = status.LastEpisodeReturn,
            ["transitions"] = actor.Ring.TotalAdded,
            ["sequence_next"] = p.NextSequence,
            ["ring_dropped"] = actor.Ring.Dropped,
            ["batches"] = p.Batches,
            ["published"] = p.Published,
            ["spooled"] = p.Spooled,
            ["resent_batches"] = p.Resent,
            ["spool_pending_batches"] = p.SpoolPending,
            ["spool_dropped_batches"] = p.SpoolDropped,
            ["delivery_failures"] = p.DeliveryFailures,
            ["broker_connects"] = actor.Uplink.Connects,
            ["broker_losses"] = actor.Uplink.ConnectionLosses,
            ["policy_version"] = policy.Version,
            ["policy_updates"] = policy.Updates,
            ["policies_accepted"] = policy.Accepted,
            ["policies_refused"] = policy.Refused,
            ["policies_refused_unsigned"] = policy.Unsigned,
            ["policies_refused_bad_signature"] = policy.BadSignature,
            ["policies_refused_bad_checksum"] = policy.BadChecksum,
            ["policies_refused_wrong_shape"] = policy.WrongShape,
            ["policies_refused_stale"] = policy.Stale,
            ["policies_refused_malformed"] = policy.Malformed,
            ["last_policy_refusal"] = policy.LastRefusal,
            ["safety_interventions"] = safety.Total,
        };
    }
}
