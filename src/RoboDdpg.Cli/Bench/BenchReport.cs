using System.Text.Json;
using System.Text.Json.Nodes;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Cli.Bench;

/// <summary>What every benchmark report shares: the platform floor's figures and how the JSON is printed.</summary>
internal static class BenchReport
{
    /// <summary>Adds the empty-handler loop's jitter, overruns and GC pause, measured in the same run, as <c>floor_*</c>.</summary>
    public static void AddFloor(JsonObject result, RealtimeLoopStats floor)
    {
        result["floor_jitter_p50_us"] = Math.Round(floor.Jitter.P50Nanoseconds / 1e3, 1);
        result["floor_jitter_p99_us"] = Math.Round(floor.Jitter.P99Nanoseconds / 1e3, 1);
        result["floor_jitter_max_us"] = Math.Round(floor.Jitter.MaxNanoseconds / 1e3, 1);
        result["floor_overruns"] = floor.Overruns;
        result["floor_gc_pause_max_ms"] = Math.Round(floor.GcPauseMaxMilliseconds, 3);
    }

    /// <summary>Prints the report on stdout: one line with <c>--json</c> (<paramref name="compact"/>), indented otherwise.</summary>
    public static void Print(JsonObject result, bool compact) =>
        Console.WriteLine(result.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = !compact,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "µs", not "\u00B5s"
        }));
}
