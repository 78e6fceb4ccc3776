using System.Runtime;

namespace RoboDdpg.Core.Timing;

/// <summary>Settings of a <see cref="RealtimeLoop"/>; checked by <see cref="Validate"/> when the loop is created.</summary>
public sealed record RealtimeLoopOptions
{
    /// <summary>Largest supported rate. Above ~1 kHz only Spin or SleepThenSpin keep up on a normal kernel.</summary>
    public const double MaxRateHz = 10_000;

    /// <summary>
    /// Default <see cref="SpinMargin"/>: a few times the p99 sleep wake-up lateness measured on the 2-core dev VM
    /// (0.1–0.2 ms at normal priority, with the loop's 1 ns timer slack), and the largest margin SCHED_FIFO allows at
    /// 1 kHz (half a period). At normal priority other load on the machine dominates whatever the margin (1 kHz jitter
    /// p99 varied from 1 µs to 0.8 ms between runs); with SCHED_FIFO wake-ups are prompt and 100 µs is enough.
    /// </summary>
    public static readonly TimeSpan DefaultSpinMargin = TimeSpan.FromMicroseconds(500);

    /// <summary>Ticks per second, in (0, 10 000]. The period is rounded to whole ns.</summary>
    public required double RateHz { get; init; }

    public WaitStrategy WaitStrategy { get; init; } = WaitStrategy.SleepThenSpin;

    /// <summary>
    /// How long before the deadline <see cref="WaitStrategy.SleepThenSpin"/> stops sleeping and starts spinning.
    /// Should exceed the usual sleep wake-up lateness; a margin ≥ the period degenerates into pure spinning.
    /// </summary>
    public TimeSpan SpinMargin { get; init; } = DefaultSpinMargin;

    public SchedulingPolicy Scheduling { get; init; } = SchedulingPolicy.Normal;

    /// <summary>SCHED_FIFO priority 1..99 (ignored for Normal). 50 is ros2_control's default.</summary>
    public int Priority { get; init; } = 50;

    /// <summary>CPUs the loop thread may run on (Linux), or null to leave the affinity alone.</summary>
    public IReadOnlyList<int>? CpuAffinity { get; init; }

    /// <summary>
    /// Ticks run before statistics (histograms, overruns, allocations, GC) start counting, so JIT compilation and
    /// first-call costs do not pollute them. The handler is called for these ticks as for any other.
    /// </summary>
    public long WarmupTicks { get; init; } = 100;

    /// <summary>
    /// Process-wide GC latency mode set while the loop thread runs and restored when it ends; null leaves it alone.
    /// SustainedLowLatency avoids blocking gen-2 collections (they run in the background) while the loop runs.
    /// </summary>
    public GCLatencyMode? GcLatencyMode { get; init; } = GCLatencyMode.SustainedLowLatency;

    /// <summary>
    /// A gen-0 collection asked for with <see cref="RealtimeLoop.RequestCollection"/> runs on the loop thread after a
    /// tick only when at least this long remains before the next one, so that a collection of about this length fits.
    /// </summary>
    public TimeSpan CollectionSlack { get; init; } = TimeSpan.FromMicroseconds(500);

    /// <summary>Name of the loop thread (Linux shows the first 15 characters).</summary>
    public string ThreadName { get; init; } = "RealtimeLoop";

    /// <summary>The period in ns, 1e9 / <see cref="RateHz"/> rounded.</summary>
    public long PeriodNanoseconds => (long)Math.Round(1e9 / RateHz);

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message for an invalid or unsafe combination.</summary>
    public void Validate()
    {
        if (!(RateHz > 0 && RateHz <= MaxRateHz))
            throw new ArgumentOutOfRangeException(nameof(RateHz), $"rate must be in (0, {MaxRateHz}] Hz (got {RateHz})");
        if (CollectionSlack < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(CollectionSlack), $"collection slack must be ≥ 0 (got {CollectionSlack})");
        if (!Enum.IsDefined(WaitStrategy))
            throw new ArgumentOutOfRangeException(nameof(WaitStrategy), $"unknown wait strategy (got {WaitStrategy})");
        if (!Enum.IsDefined(Scheduling))
            throw new ArgumentOutOfRangeException(nameof(Scheduling), $"unknown scheduling policy (got {Scheduling})");
        if (SpinMargin < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(SpinMargin), $"spin margin must not be negative (got {SpinMargin})");
        if (WarmupTicks < 0)
            throw new ArgumentOutOfRangeException(nameof(WarmupTicks), $"warm-up ticks must not be negative (got {WarmupTicks})");
        if (GcLatencyMode == GCLatencyMode.NoGCRegion)
            throw new ArgumentException("NoGCRegion cannot be set as a latency mode", nameof(GcLatencyMode));
        ArgumentException.ThrowIfNullOrWhiteSpace(ThreadName);
        if (CpuAffinity is { } cpus)
        {
            if (cpus.Count == 0) throw new ArgumentException("CPU affinity needs at least one CPU (or null)", nameof(CpuAffinity));
            foreach (var cpu in cpus)
                if (cpu is < 0 or > 1023)
                    throw new ArgumentOutOfRangeException(nameof(CpuAffinity), $"CPU numbers must be in 0..1023 (got {cpu})");
        }
        if (Scheduling == SchedulingPolicy.Fifo)
        {
            if (Priority is < ThreadScheduling.MinFifoPriority or > ThreadScheduling.MaxFifoPriority)
                throw new ArgumentOutOfRangeException(nameof(Priority), $"SCHED_FIFO priority must be in 1..99 (got {Priority})");
            // A FIFO thread that never sleeps trips the kernel's RT throttling (95 % budget) into ~50 ms stalls and
            // starves everything else on its core, so it must sleep at least half of every period.
            if (WaitStrategy == WaitStrategy.Spin)
                throw new ArgumentException(
                    "SCHED_FIFO with WaitStrategy.Spin would trip the kernel's RT throttling (~50 ms stalls); use SleepThenSpin or Sleep",
                    nameof(WaitStrategy));
            if (WaitStrategy == WaitStrategy.SleepThenSpin && SpinMargin.Ticks * 100 > PeriodNanoseconds / 2)
                throw new ArgumentException(
                    $"SCHED_FIFO needs the loop to sleep at least half of each period: spin margin {SpinMargin.TotalMicroseconds} µs must be ≤ {PeriodNanoseconds / 2000} µs at {RateHz} Hz",
                    nameof(SpinMargin));
        }
    }
}
