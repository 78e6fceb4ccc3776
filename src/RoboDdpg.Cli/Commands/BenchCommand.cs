using System.CommandLine;
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
        var pacing = new LoopOptionSet();
        var command = new Command("bench", "measure actor, replay, update and control-loop performance against the platform floor") { json, seconds };
        pacing.AddTo(command);
        command.Subcommands.Add(FleetBenchCommand.Create()); // roboddpg bench fleet
        command.SetAction(parse =>
        {
            var quiet = parse.GetValue(json);
            var loopOptions = pacing.Build(parse, LoopBenchmarks.RateHz, warmupTicks: 1000);
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

            var duration = TimeSpan.FromSeconds(parse.GetValue(seconds));
            Progress($"platform floor: empty 1 kHz loop for {duration.TotalSeconds:0} s");
            var (floor, floorSteal) = CpuSteal.During(() => LoopBenchmarks.Floor(loopOptions, duration));
            Progress($"1 kHz control loop with the learner training beside it for {duration.TotalSeconds:0} s");
            var ((loop, updatesPerSecond, learnerFault), loopSteal) = CpuSteal.During(() => LoopBenchmarks.LoopWithLearner(loopOptions, duration));
            result["loop_hz"] = LoopBenchmarks.RateHz;
            result["loop_pacing"] = LoopOptionSet.Describe(loopOptions);
            result["loop_seconds"] = duration.TotalSeconds;
            result["loop_ticks"] = loop.MeasuredTicks;
            result["loop_achieved_hz"] = Math.Round(loop.AchievedRateHz, 1);
            result["loop_jitter_p50_us"] = Math.Round(loop.Jitter.P50Nanoseconds / 1e3, 1);
            result["loop_jitter_p99_us"] = Math.Round(loop.Jitter.P99Nanoseconds / 1e3, 1);
            result["loop_jitter_max_us"] = Math.Round(loop.Jitter.MaxNanoseconds / 1e3, 1);
            result["loop_compute_p99_us"] = Math.Round(loop.Compute.P99Nanoseconds / 1e3, 1);
            result["loop_overruns"] = loop.Overruns;
            result["loop_alloc_bytes"] = loop.AllocatedBytes;
            result["loop_gc_count"] = loop.GcCount;
            result["loop_gc_pause_max_ms"] = Math.Round(loop.GcPauseMaxMilliseconds, 3);
            result["learner_updates_per_s"] = Math.Round(updatesPerSecond, 1);
            if (learnerFault is not null) result["learner_fault"] = learnerFault;
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
