using System.Diagnostics;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Timing;

public sealed class RuntimeSuspensionMonitorTests
{
    [Fact]
    public void Every_forced_collection_is_counted_as_a_suspension_for_gc_with_its_duration()
    {
        using var monitor = new RuntimeSuspensionMonitor();
        for (var i = 0; i < 3; i++) GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        // The runtime's events reach the listener's thread a moment later.
        var clock = Stopwatch.StartNew();
        while (monitor.Counts.ForGarbageCollection < 3 && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(20);

        var counts = monitor.Counts;
        Assert.True(counts.ForGarbageCollection >= 3, $"{counts}"); // other tests in this process may collect too
        Assert.True(counts.Count >= counts.ForGarbageCollection);
        Assert.InRange(counts.MaxMilliseconds, 1e-6, 10_000);
        Assert.True(counts.TotalMilliseconds >= counts.MaxMilliseconds);
    }
}
