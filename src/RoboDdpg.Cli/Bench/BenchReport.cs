using System.Text.Json;
using System.Text.Json.Nodes;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Cli.Bench;

/// <summary>What every benchmark report shares: the platform floor's figures, the loop's bounds against them, and how the JSON is printed.</summary>
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

    /// <summary>
    /// The real-time runtime's bounds against the platform floor of the same run (jitter p99 ≤ max(100 µs, 2 × floor),
    /// jitter max ≤ 2 × floor + 1000 µs, overruns ≤ 2 × floor + 10, no GC pause over 1 ms, 0 B allocated on the
    /// loop); the ones the loop missed, empty when it met them all.
    /// </summary>
    public static JsonArray FailedLoopBounds(JsonObject r)
    {
        double Get(string name) => double.Parse(r[name]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
        var failed = new JsonArray();
        if (Get("loop_jitter_p99_us") > Math.Max(100, 2 * Get("floor_jitter_p99_us"))) failed.Add("jitter_p99");
        if (Get("loop_jitter_max_us") > 2 * Get("floor_jitter_max_us") + 1000) failed.Add("jitter_max");
        if (Get("loop_overruns") > 2 * Get("floor_overruns") + 10) failed.Add("overruns");
        if (Get("loop_gc_pause_max_ms") > 1) failed.Add("gc_pause");
        if (Get("loop_alloc_bytes") > 0) failed.Add("alloc");
        return failed;
    }
}
