namespace RoboDdpg.Core.Timing;

/// <summary>Measures what the platform itself gives: the loop with an empty handler.</summary>
public static class RealtimeLoopBenchmark
{
    /// <summary>
    /// Runs <paramref name="options"/> with a handler that does nothing for <paramref name="duration"/> on a real
    /// thread and returns the stats: jitter p99/max and overruns are the floor any real handler adds to.
    /// Optionally copies the jitter histogram (e.g. for <see cref="LatencyHistogram.WriteCsv(string, bool)"/>).
    /// </summary>
    public static RealtimeLoopStats MeasureFloor(RealtimeLoopOptions options, TimeSpan duration,
        LatencyHistogram? jitter = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        using var loop = new RealtimeLoop(EmptyHandler.Instance, options);
        loop.Start();
        cancellation.WaitHandle.WaitOne(duration);
        loop.Stop();
        if (jitter is not null) loop.CopyJitterHistogram(jitter);
        return loop.Stats;
    }

    private sealed class EmptyHandler : IRealtimeTickHandler
    {
        public static readonly EmptyHandler Instance = new();

        public void OnTick(in TickInfo tick) { }
    }
}
