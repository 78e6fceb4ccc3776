using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using RoboDdpg.Cli.Bench;

namespace RoboDdpg.Cli.Commands;

/// <summary><c>roboddpg bench</c>: compute and real-time figures of this machine, as one JSON object.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var json = OptionFactory.Create("--json", "print only the JSON object (no progress lines)", false);
        var seconds = OptionFactory.AtLeast("--seconds", "duration of each loop run (the loop with learner and the platform floor)", 20, 1);
        var command = new Command("bench", "measure actor, replay, update and control-loop performance against the platform floor") { json, seconds };
        command.SetAction(parse =>
        {
            var quiet = parse.GetValue(json);
            void Progress(string message)
            {
                if (!quiet) Console.Error.WriteLine($"bench: {message}");
            }

            var result = new JsonObject();
            var micro = TimeSpan.FromSeconds(2);

            Progress("managed actor (17→256→256→6, batch 1)");
            var (actorNs, actorAlloc) = MicroBenchmarks.ManagedActor(micro);
            result["actor_ns_p50"] = Math.Round(actorNs);
            result["actor_alloc_bytes"] = actorAlloc;

            Progress("TorchSharp actor (same shape)");
            result["torch_actor_ns_p50"] = Math.Round(MicroBenchmarks.TorchActor(micro));

            Progress("replay sampling (batch 256 from 1M transitions)");
            result["replay_sample_us_p50"] = Math.Round(MicroBenchmarks.ReplaySample(micro), 2);

            Progress("DDPG update and its matrix products (batch 256, 256×256, 1 thread)");
            var (updateMs, gemmMs) = MicroBenchmarks.UpdateAndGemmFloor(TimeSpan.FromSeconds(4));
            result["update_ms_p50"] = Math.Round(updateMs, 3);
            result["gemm_ms_p50"] = Math.Round(gemmMs, 3);
            result["update_vs_gemm"] = Math.Round(updateMs / gemmMs, 3);

            Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = !quiet }));
            return ExitCodes.Ok;
        });
        return command;
    }
}
