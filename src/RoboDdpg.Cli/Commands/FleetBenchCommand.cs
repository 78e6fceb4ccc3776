using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using RoboDdpg.Cli.Bench;
using RoboDdpg.Fleet;

namespace RoboDdpg.Cli.Commands;

/// <summary><c>roboddpg bench fleet</c>: ingest, propagation and the robot loop while publishing, as one JSON object.</summary>
internal static class FleetBenchCommand
{
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
                });
            }
            result["ingest"] = curve;

            var duration = TimeSpan.FromSeconds(parse.GetValue(seconds));
            Progress($"platform floor: empty 1 kHz loop for {duration.TotalSeconds:0} s");
            var floor = LoopBenchmarks.Floor(loopOptions, duration);
            Progress($"1 kHz robot loop publishing its transitions for {duration.TotalSeconds:0} s, policy snapshots every 0.5 s");
            var actor = FleetBenchmarks.ActorWhilePublishing(options, loopOptions, duration);
            var loop = actor.Loop;
            result["propagation_ms_p50"] = Math.Round(actor.PropagationP50Ms, 2);
            result["propagation_ms_max"] = Math.Round(actor.PropagationMaxMs, 2);
            result["propagations"] = actor.Propagations;
            result["policy_size"] = "3→256→256→1";
            result["loop_hz"] = LoopBenchmarks.RateHz;
            result["loop_pacing"] = LoopOptionSet.Describe(loopOptions);
            result["loop_seconds"] = duration.TotalSeconds;
            result["loop_ticks"] = loop.MeasuredTicks;
            result["loop_jitter_p50_us"] = Math.Round(loop.Jitter.P50Nanoseconds / 1e3, 1);
            result["loop_jitter_p99_us"] = Math.Round(loop.Jitter.P99Nanoseconds / 1e3, 1);
            result["loop_jitter_max_us"] = Math.Round(loop.Jitter.MaxNanoseconds / 1e3, 1);
            result["loop_compute_p99_us"] = Math.Round(loop.Compute.P99Nanoseconds / 1e3, 1);
            result["loop_overruns"] = loop.Overruns;
            result["loop_alloc_bytes"] = loop.AllocatedBytes;
            result["loop_alloc_bytes_per_tick"] = loop.AllocatedBytesPerTick;
            result["loop_gc_count"] = loop.GcCount;
            result["loop_gc_pause_max_ms"] = Math.Round(loop.GcPauseMaxMilliseconds, 3);
            result["loop_transitions"] = actor.Transitions;
            result["loop_transitions_ingested"] = actor.Ingested;
            result["loop_transitions_spooled"] = actor.Spooled;
            result["floor_jitter_p50_us"] = Math.Round(floor.Jitter.P50Nanoseconds / 1e3, 1);
            result["floor_jitter_p99_us"] = Math.Round(floor.Jitter.P99Nanoseconds / 1e3, 1);
            result["floor_jitter_max_us"] = Math.Round(floor.Jitter.MaxNanoseconds / 1e3, 1);
            result["floor_overruns"] = floor.Overruns;
            result["floor_gc_pause_max_ms"] = Math.Round(floor.GcPauseMaxMilliseconds, 3);

            Console.WriteLine(result.ToJsonString(new JsonSerializerOptions
            {
                WriteIndented = !quiet,
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }));
            return ExitCodes.Ok;
        });
        return command;
    }
}
