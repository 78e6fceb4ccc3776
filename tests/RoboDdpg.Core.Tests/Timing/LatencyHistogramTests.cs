using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Timing;

public sealed class LatencyHistogramTests
{
    private const long Us = 1000; // ns per µs

    [Fact]
    public void Percentiles_mean_min_max_of_1_to_100_microseconds()
    {
        var h = new LatencyHistogram();
        // Recorded out of order: 1, 100, 2, 99, … µs.
        for (var k = 1; k <= 50; k++)
        {
            h.Record(k * Us);
            h.Record((101 - k) * Us);
        }

        Assert.Equal(100, h.Count);
        Assert.Equal(50.5 * Us, h.Mean);
        Assert.Equal(1 * Us, h.Min);
        Assert.Equal(100 * Us, h.Max);
        Assert.Equal(1 * Us, h.Percentile(0));     // nearest rank 1
        Assert.Equal(25 * Us, h.Percentile(25));   // rank 25
        Assert.Equal(50 * Us, h.Percentile(50));   // rank 50
        Assert.Equal(99 * Us, h.Percentile(99));   // rank 99
        Assert.Equal(100 * Us, h.Percentile(99.5)); // rank ⌈99.5⌉ = 100
        Assert.Equal(100 * Us, h.Percentile(100));
        var summary = h.Summarize();
        Assert.Equal(new LatencySummary(100, 50.5 * Us, 50 * Us, 99 * Us, 100 * Us, 100 * Us), summary);
    }

    [Fact]
    public void P99_9_of_a_thousand_samples_is_the_999th()
    {
        var h = new LatencyHistogram();
        for (var k = 1; k <= 1000; k++) h.Record(k * Us);
        Assert.Equal(999 * Us, h.Percentile(99.9));
        Assert.Equal(500 * Us, h.Percentile(50));
    }

    [Fact]
    public void A_percentile_is_the_lower_bin_edge_clamped_to_the_recorded_range()
    {
        var h = new LatencyHistogram();
        h.Record(10_400);
        h.Record(10_900);
        h.Record(20_000);
        // Rank 2 lies in bin [10, 11) µs; its edge 10 000 ns is below the minimum, so the minimum is reported.
        Assert.Equal(10_400, h.Percentile(50));
        Assert.Equal(10_400, h.Percentile(1));
        Assert.Equal(20_000, h.Percentile(100));

        var coarse = new LatencyHistogram();
        coarse.Record(1000 * Us);
        coarse.Record(3005 * Us); // bin [2992, 3008) µs: 16 µs wide above 2.048 ms
        coarse.Record(5000 * Us);
        Assert.Equal(2992 * Us, coarse.Percentile(50));
        Assert.Equal((1000 + 3005 + 5000) * Us / 3.0, coarse.Mean);
    }

    [Theory]
    [InlineData(0L, 0, 0L, 1L)]
    [InlineData(999L, 0, 0L, 1L)]                    // 999 ns is still the [0, 1) µs bin
    [InlineData(2_047_999L, 2047, 2047L, 2048L)]     // last 1-µs bin
    [InlineData(2_048_000L, 2048, 2048L, 2064L)]     // first 16-µs bin
    [InlineData(3_000_000L, 2107, 2992L, 3008L)]     // (3000 − 2048) / 16 = 59.5 → sub-bin 59
    [InlineData(4_096_000L, 2176, 4096L, 4128L)]     // next octave: 32 µs wide
    [InlineData(10_000_000_000L, 3608, 9961472L, 10027008L)] // 10 s: octave 2^23 µs, 65 536 µs wide, sub-bin 24
    public void Bin_layout_is_hand_checkable(long nanoseconds, int bin, long lowUs, long highUs)
    {
        Assert.Equal(bin, LatencyHistogram.BinIndex(nanoseconds));
        Assert.Equal(lowUs, LatencyHistogram.BinLowMicroseconds(bin));
        Assert.Equal(highUs, LatencyHistogram.BinHighMicroseconds(bin));
    }

    [Fact]
    public void Bins_tile_the_range_without_gaps_up_to_the_overflow_bin()
    {
        Assert.Equal(3713, LatencyHistogram.BinCount);
        for (var bin = 0; bin < LatencyHistogram.BinCount - 1; bin++)
        {
            var low = LatencyHistogram.BinLowMicroseconds(bin);
            var high = LatencyHistogram.BinHighMicroseconds(bin);
            Assert.True(high > low);
            Assert.Equal(high, LatencyHistogram.BinLowMicroseconds(bin + 1));
            Assert.Equal(bin, LatencyHistogram.BinIndex(low * 1000));
            Assert.Equal(bin, LatencyHistogram.BinIndex(high * 1000 - 1));
            Assert.True(low < 2048 || (high - low) * 128 <= low, "coarse bins are at most 1/128 of their value wide");
        }
        var overflow = LatencyHistogram.BinCount - 1;
        Assert.Equal(1L << 24, LatencyHistogram.BinLowMicroseconds(overflow));
        Assert.Equal(overflow, LatencyHistogram.BinIndex(20_000_000_000));
        Assert.Equal(overflow, LatencyHistogram.BinIndex(long.MaxValue));
    }

    [Fact]
    public void Values_beyond_the_last_octave_land_in_the_overflow_bin_and_keep_an_exact_max()
    {
        var h = new LatencyHistogram();
        h.Record(20_000_000_000);
        Assert.Equal(1, h.CountAt(LatencyHistogram.BinCount - 1));
        Assert.Equal(20_000_000_000, h.Max);
        Assert.Equal(20_000_000_000, h.Percentile(50));
    }

    [Fact]
    public void Negative_values_count_as_zero()
    {
        var h = new LatencyHistogram();
        h.Record(-5);
        Assert.Equal(1, h.CountAt(0));
        Assert.Equal(0, h.Max);
        Assert.Equal(0, h.Min);
        Assert.Equal(0, h.Mean);
    }

    [Fact]
    public void Empty_and_reset_histograms_report_zeros()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.Percentile(99));
        h.Record(5 * Us);
        h.Record(7 * Us);
        h.Reset();
        Assert.Equal(0, h.Count);
        Assert.Equal(0, h.Max);
        Assert.Equal(0, h.Min);
        Assert.Equal(0, h.Mean);
        Assert.Equal(0, h.Percentile(50));
        Assert.Equal(0, h.CountAt(5));
        h.Record(3 * Us);
        Assert.Equal(3 * Us, h.Min);
    }

    [Fact]
    public void CopyTo_takes_an_independent_snapshot()
    {
        var source = new LatencyHistogram();
        source.Record(5 * Us);
        source.Record(9 * Us);
        var copy = new LatencyHistogram();
        copy.Record(1_000_000 * Us); // overwritten
        source.CopyTo(copy);
        source.Record(100 * Us);

        Assert.Equal(2, copy.Count);
        Assert.Equal(9 * Us, copy.Max);
        Assert.Equal(5 * Us, copy.Min);
        Assert.Equal(7 * Us, copy.Mean);
        Assert.Equal(1, copy.CountAt(5));
        Assert.Equal(0, copy.CountAt(100));
        Assert.Equal(0, copy.CountAt(LatencyHistogram.BinIndex(1_000_000 * Us)));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(100.1)]
    [InlineData(double.NaN)]
    public void Percentile_outside_0_to_100_is_rejected(double percent)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatencyHistogram().Percentile(percent));
    }

    [Fact]
    public void Csv_lists_the_non_empty_bins_in_microseconds()
    {
        var h = new LatencyHistogram();
        h.Record(5 * Us);
        h.Record(5 * Us + 999);
        h.Record(7_500);
        h.Record(3000 * Us);
        h.Record(20_000_000_000);
        var writer = new StringWriter();
        h.WriteCsv(writer);
        Assert.Equal(
            "bin_low_us,bin_high_us,count\n5,6,2\n7,8,1\n2992,3008,1\n16777216,inf,1\n",
            writer.ToString());
    }

    [Fact]
    public void Csv_file_with_empty_bins_has_one_row_per_bin()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "jitter.csv");
        var h = new LatencyHistogram();
        h.Record(1 * Us);
        h.WriteCsv(path, includeEmptyBins: true);
        var lines = File.ReadAllLines(path);
        Assert.Equal(LatencyHistogram.BinCount + 1, lines.Length);
        Assert.Equal("bin_low_us,bin_high_us,count", lines[0]);
        Assert.Equal("0,1,0", lines[1]);
        Assert.Equal("1,2,1", lines[2]);
        Assert.Equal("16777216,inf,0", lines[^1]);
    }

    [Fact]
    public void Record_does_not_allocate()
    {
        var h = new LatencyHistogram();
        h.Record(1); // first call JIT-compiled outside the measurement
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++) h.Record(i * 977L);
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }
}
