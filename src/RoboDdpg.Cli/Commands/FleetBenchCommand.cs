using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using RoboDdpg.Cli.Bench;
using RoboDdpg.Fleet;

namespace RoboDdpg.Cli.Commands;

/// <summary><c>roboddpg bench fleet</c>: ingest, propagation and the robot loop while publishing, as one JSON object.</summary>
internal static class FleetBenchCommand
{
    /// <summary>The pacing options as given, for the actor child process.</summary>
    private static List<string> PacingArguments(ParseResult parse)
    {
        var arguments = new List<string>();
        foreach (var name in new[] { "--wait", "--spin-margin-us", "--fifo", "--cpu" })
        {
            var result = parse.GetResult(name) as System.CommandLine.Parsing.OptionResult;
            if (result is { Implicit: false } && result.Tokens.Count > 0)
            {
                arguments.Add(name);
                arguments.Add(result.Tokens[0].Value);
            }
        }
        return arguments;
    }

    public static Command Create()
    {
        var json = OptionFactory.Create("--json", "print only the JSON object (no progress lines)", false);
        var seconds = OptionFactory.AtLeast("--seconds", "duration of each loop run (the robot loop while publishing, and the platform floor)", 20, 1);
        var ingestSeconds = OptionFactory.AtLeast("--ingest-seconds", "measuring time per robot count", 5, 1);
        var broker = OptionFactory.Create<string?>("--broker", "broker to measure through (default: an embedded broker in this process)", null);
        var pacing = new LoopOptionSet();
        var command = new Command("fleet", "measure learner ingest from 1, 4 and 16 robots, policy propagation and the robot loop while publishing")
        {
            json, seconds, ingestSeconds, broker,
        };
        pacing.AddTo(command);
        command.SetAction(parse =>
        {
            var quiet = parse.GetValue(json);
            void Progress(string message)
            {
                if (!quiet) Console.Error.WriteLine($"bench fleet: {message}");
            }
            var loopOptions = pacing.Build(parse, LoopBenchmarks.RateHz, warmupTicks: 1000);
            EmbeddedBroker? embedded = null;
            BrokerOptions options;
            if (parse.GetValue(broker) is { } uri) options = BrokerOptions.Parse(uri);
            else (embedded, options) = FleetBenchmarks.StartEmbedded();
            using var _ = embedded;

            var result = new JsonObject { ["broker"] = embedded is null ? options.Uri : "embedded" };
            var curve = new JsonArray();
            foreach (var robots in new[] { 1, 4, 16 })
            {
                Progress($"learner ingest from {robots} robot(s) for {parse.GetValue(ingestSeconds)} s");
                var ingest = FleetBenchmarks.Ingest(options, robots, TimeSpan.FromSeconds(parse.GetValue(ingestSeconds)));
                result[$"ingest_{robots}_robots_per_s"] = Math.Round(ingest.TransitionsPerSecond);
                curve.Add(new JsonObject
                {
                    ["robots"] = robots,
                    ["transitions_per_s"] = Math.Round(ingest.TransitionsPerSecond),
                    ["accepted"] = ingest.Accepted,
                    ["missing"] = ingest.Missing,
                    ["duplicates"] = ingest.Duplicates,
                    ["malformed"] = ingest.Malformed,
                    ["ring_dropped"] = ingest.RingDropped,
                    ["unacknowledged_at_end"] = ingest.MaxUnacknowledgedAtEnd,
                });
            }
            result["ingest"] = curve;

            Progress("policy propagation: 20 snapshots (256×256) to a robot looping at 1 kHz in this process, its MQTT client in a sidecar process");
            var propagation = FleetBenchmarks.Propagation(options, loopOptions, 20,
                ActorLinkCommand.SelfLauncher() ?? throw new CliError("bench fleet: cannot find this program to start the MQTT sidecar"));
            result["propagation_ms_p50"] = Math.Round(propagation.P50Ms, 2);
            result["propagation_ms_max"] = Math.Round(propagation.MaxMs, 2);
            result["propagations"] = propagation.Count;
            Progress("policy propagation again, the MQTT client in the loop's process (--link direct)");
            var direct = FleetBenchmarks.Propagation(options, loopOptions, 20, sidecar: null);
            result["propagation_direct_ms_p50"] = Math.Round(direct.P50Ms, 2);
            result["propagation_direct_ms_max"] = Math.Round(direct.MaxMs, 2);
            result["policy_size"] = "3→256→256→1";

            var duration = TimeSpan.FromSeconds(parse.GetValue(seconds));
            Progress($"platform floor: empty 1 kHz loop for {duration.TotalSeconds:0} s");
            var (floor, floorSteal) = CpuSteal.During(() => LoopBenchmarks.Floor(loopOptions, duration));
            Progress($"robot process (roboddpg actor) at 1 kHz publishing its transitions for {duration.TotalSeconds:0} s, a new snapshot every 0.5 s");
            var (actor, loopSteal) = CpuSteal.During(() => FleetBenchmarks.ActorProcess(options, PacingArguments(parse), duration));
            var r = actor.Report;
            result["loop_hz"] = LoopBenchmarks.RateHz;
            result["loop_link"] = r.GetProperty("link").GetString();
            result["loop_pacing"] = LoopOptionSet.Describe(loopOptions);
            result["loop_seconds"] = duration.TotalSeconds;
            result["loop_ticks"] = r.GetProperty("ticks").GetInt64();
            result["loop_jitter_p50_us"] = Math.Round(r.GetProperty("jitter_p50_us").GetDouble(), 1);
            result["loop_jitter_p99_us"] = Math.Round(r.GetProperty("jitter_p99_us").GetDouble(), 1);
            result["loop_jitter_max_us"] = Math.Round(r.GetProperty("jitter_max_us").GetDouble(), 1);
            result["loop_overruns"] = r.GetProperty("overruns").GetInt64();
            result["loop_alloc_bytes"] = r.GetProperty("loop_alloc_bytes").GetInt64();
            result["loop_alloc_bytes_per_tick"] = r.GetProperty("loop_alloc_bytes_per_tick").GetDouble();
            result["loop_gc_count"] = r.GetProperty("gc_count").GetInt64();
            result["loop_gc_pause_max_ms"] = Math.Round(r.GetProperty("gc_pause_max_ms").GetDouble(), 3);
            var collections = r.GetProperty("gc_count").GetInt64();
            result["loop_gc_in_slack"] = r.GetProperty("gc_in_loop_slack").GetInt64();
            result["loop_runtime_suspensions"] = r.GetProperty("runtime_suspensions").GetInt64();
            result["loop_runtime_suspension_max_ms"] = Math.Round(r.GetProperty("runtime_suspension_max_ms").GetDouble(), 3);
            result["loop_gc_pause_mean_ms"] = collections == 0 ? 0 : Math.Round(r.GetProperty("gc_pause_total_ms").GetDouble() / collections, 3);
            result["loop_transitions"] = r.GetProperty("transitions").GetInt64();
            result["loop_transitions_ingested"] = actor.Ingested;
            result["loop_transitions_spooled"] = r.GetProperty("spooled").GetInt64();
            result["loop_policies_accepted"] = r.GetProperty("policies_accepted").GetInt64();
            result["loop_policies_published"] = actor.PoliciesPublished;
            BenchReport.AddFloor(result, floor);
            // Stalls while the hypervisor ran other guests on this machine's CPUs are the host's, not the loop's.
            result["loop_cpu_steal_ms"] = loopSteal;
            result["floor_cpu_steal_ms"] = floorSteal;
            result["loop_bounds_failed"] = BenchReport.FailedLoopBounds(result);
            BenchReport.Print(result, quiet);
            return ExitCodes.Ok;
        });
        return command;
    }
}
