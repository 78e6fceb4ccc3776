using System.Globalization;
using System.Numerics;
using RoboDdpg.Core.IO;

namespace RoboDdpg.Core.Timing;

/// <summary>
/// Fixed-layout histogram of durations, all storage allocated in the constructor so <see cref="Record"/> never
/// allocates (it runs on the real-time thread). Bins, in microseconds:
/// <list type="bullet">
/// <item>1 µs wide from 0 to 2048 µs (2048 bins): µs jitter is resolved exactly;</item>
/// <item>above that, each octave [2^k, 2^(k+1)) µs for k = 11..23 is split into 128 equal bins, i.e. ≤ 0.8 % wide,
/// up to 2^24 µs ≈ 16.8 s;</item>
/// <item>one overflow bin [16.8 s, ∞).</item>
/// </list>
/// Count, sum (so <see cref="Mean"/>), <see cref="Min"/> and <see cref="Max"/> are exact.
/// Single writer; readers on other threads may see a torn state (fine for live display), or take a consistent copy
/// with <see cref="CopyTo"/> once the writer has stopped.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper end of the 1-µs bins.</summary>
    public const long LinearLimitMicroseconds = 2048;

    private const int LinearBits = 11;      // 2^11 = 2048
    private const int SubBinBits = 7;       // 128 bins per octave
    private const int TopOctaveBits = 24;   // last octave ends at 2^24 µs
    private const int SubBins = 1 << SubBinBits;

    /// <summary>Number of bins, including the overflow bin.</summary>
    public const int BinCount = (int)LinearLimitMicroseconds + (TopOctaveBits - LinearBits) * SubBins + 1;

    private readonly long[] _counts = new long[BinCount];
    private long _count;
    private long _sum;
    private long _min = long.MaxValue;
    private long _max;

    public long Count => Volatile.Read(ref _count);

    /// <summary>Largest recorded value in ns (0 when empty).</summary>
    public long Max => Volatile.Read(ref _max);

    /// <summary>Smallest recorded value in ns (0 when empty).</summary>
    public long Min => Count == 0 ? 0 : Volatile.Read(ref _min);

    /// <summary>Exact mean in ns (0 when empty).</summary>
    public double Mean
    {
        get
        {
            var count = Count;
            return count == 0 ? 0 : (double)Volatile.Read(ref _sum) / count;
        }
    }

    /// <summary>Adds one duration in ns. Negative values count as 0. Does not allocate.</summary>
    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0) nanoseconds = 0;
        _counts[BinIndex(nanoseconds)]++;
        _sum += nanoseconds;
        if (nanoseconds > _max) _max = nanoseconds;
        if (nanoseconds < _min) _min = nanoseconds;
        _count++; // last, so a concurrent reader rarely sees a count ahead of the bins
    }

    /// <summary>
    /// The <paramref name="percent"/>-th percentile (0..100) in ns by nearest rank: the lower edge of the bin that
    /// holds the ⌈p·n/100⌉-th smallest value, clamped to [<see cref="Min"/>, <see cref="Max"/>]; so exact to 1 µs below
    /// 2.048 ms (exact for whole-µs values) and within 0.8 % above. 100 gives <see cref="Max"/>; 0 when empty.
    /// </summary>
    public long Percentile(double percent)
    {
        if (!(percent >= 0 && percent <= 100))
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "percentile must be within 0..100");
        var count = Count;
        if (count == 0) return 0;
        long max = Max, min = Min;
        if (percent >= 100) return max;
        // p·n first: exact for integer percents, and the epsilon keeps e.g. 99.9·1000/100 from rounding up past 999.
        var rank = Math.Max(1, (long)Math.Ceiling(percent * count / 100 - 1e-9));
        long cumulative = 0;
        for (var bin = 0; bin < BinCount; bin++)
        {
            cumulative += Volatile.Read(ref _counts[bin]);
            if (cumulative >= rank)
                return Math.Clamp(BinLowMicroseconds(bin) * 1000, min, max);
        }
        return max; // only reachable when a concurrent writer made the count run ahead of the bins
    }

    /// <summary>Count, mean, p50, p99, p99.9 and max in one go.</summary>
    public LatencySummary Summarize() =>
        new(Count, Mean, Percentile(50), Percentile(99), Percentile(99.9), Max);

    /// <summary>Empties the histogram (no allocation).</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        _count = 0;
        _sum = 0;
        _max = 0;
        _min = long.MaxValue;
    }

    /// <summary>Copies every bin and statistic into <paramref name="destination"/> (no allocation).</summary>
    public void CopyTo(LatencyHistogram destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (ReferenceEquals(destination, this)) return;
        destination._count = Volatile.Read(ref _count);
        Array.Copy(_counts, destination._counts, BinCount);
        destination._sum = Volatile.Read(ref _sum);
        destination._max = Volatile.Read(ref _max);
        destination._min = Volatile.Read(ref _min);
    }

    /// <summary>Recorded values in <paramref name="bin"/>.</summary>
    public long CountAt(int bin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bin, BinCount);
        return Volatile.Read(ref _counts[bin]);
    }

    /// <summary>The bin a duration in ns falls into.</summary>
    public static int BinIndex(long nanoseconds)
    {
        var us = Math.Max(0, nanoseconds) / 1000;
        if (us < LinearLimitMicroseconds) return (int)us;
        var octave = 63 - BitOperations.LeadingZeroCount((ulong)us); // floor(log2 us) ≥ 11
        if (octave >= TopOctaveBits) return BinCount - 1;
        var sub = (us - (1L << octave)) >> (octave - SubBinBits);
        return (int)(LinearLimitMicroseconds + (octave - LinearBits) * SubBins + sub);
    }

    /// <summary>Inclusive lower edge of <paramref name="bin"/> in µs.</summary>
    public static long BinLowMicroseconds(int bin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bin, BinCount);
        if (bin < LinearLimitMicroseconds) return bin;
        var j = bin - (int)LinearLimitMicroseconds;
        var octave = LinearBits + j / SubBins;
        if (octave >= TopOctaveBits) return 1L << TopOctaveBits;
        return (1L << octave) + (long)(j % SubBins) * (1L << (octave - SubBinBits));
    }

    /// <summary>Exclusive upper edge of <paramref name="bin"/> in µs; <see cref="long.MaxValue"/> for the overflow bin.</summary>
    public static long BinHighMicroseconds(int bin) =>
        bin == BinCount - 1 ? long.MaxValue : BinLowMicroseconds(bin) + BinWidthMicroseconds(bin);

    private static long BinWidthMicroseconds(int bin) =>
        bin < LinearLimitMicroseconds ? 1 : 1L << (LinearBits + (bin - (int)LinearLimitMicroseconds) / SubBins - SubBinBits);

    /// <summary>
    /// Writes <c>bin_low_us,bin_high_us,count</c> rows (the overflow bin's high edge is <c>inf</c>), by default only
    /// the non-empty bins.
    /// </summary>
    public void WriteCsv(TextWriter writer, bool includeEmptyBins = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("bin_low_us,bin_high_us,count\n");
        for (var bin = 0; bin < BinCount; bin++)
        {
            var count = CountAt(bin);
            if (count == 0 && !includeEmptyBins) continue;
            var high = bin == BinCount - 1 ? "inf" : BinHighMicroseconds(bin).ToString(CultureInfo.InvariantCulture);
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{BinLowMicroseconds(bin)},{high},{count}\n"));
        }
    }

    /// <summary>Writes the CSV to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public void WriteCsv(string path, bool includeEmptyBins = false) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            WriteCsv(writer, includeEmptyBins);
        });
}

/// <summary>The usual latency figures in ns.</summary>
public readonly record struct LatencySummary(
    long Count, double MeanNanoseconds, long P50Nanoseconds, long P99Nanoseconds, long P999Nanoseconds, long MaxNanoseconds);
