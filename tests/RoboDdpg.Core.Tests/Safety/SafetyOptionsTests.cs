using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Safety;

namespace RoboDdpg.Core.Tests.Safety;

public sealed class SafetyOptionsTests
{
    private static readonly BoxSpec TwoD = new(["a", "b"], [-2f, -1f], [2f, 1f]);

    [Fact]
    public void Defaults_are_a_five_tick_watchdog_and_no_rate_limit()
    {
        var options = new SafetyOptions();
        Assert.Equal(5, options.WatchdogTicks);
        Assert.Null(options.MaxDeltaPerTick);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Watchdog_below_one_tick_is_rejected(int ticks)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SafetyOptions { WatchdogTicks = ticks });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SafetyOptions() with { WatchdogTicks = ticks });
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    public void Non_positive_or_nan_rate_limits_are_rejected(float bad)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SafetyOptions { MaxDeltaPerTick = [0.1f, bad] });
    }

    [Fact]
    public void An_empty_rate_limit_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SafetyOptions { MaxDeltaPerTick = Array.Empty<float>() });
    }

    [Fact]
    public void Rate_limits_are_copied()
    {
        var limits = new[] { 0.5f };
        var options = new SafetyOptions { MaxDeltaPerTick = limits };
        limits[0] = -1f;
        Assert.Equal([0.5f], options.MaxDeltaPerTick!);
    }

    [Fact]
    public void Rate_limit_count_must_be_one_or_the_action_size()
    {
        Assert.Throws<ArgumentException>(() =>
            new SafetyLayer(new BoxSpec(["a", "b", "c"], [-1f, -1f, -1f], [1f, 1f, 1f]), [0f, 0f, 0f],
                new SafetyOptions { MaxDeltaPerTick = [0.1f, 0.2f] }));
        _ = new SafetyLayer(TwoD, [0f, 0f], new SafetyOptions { MaxDeltaPerTick = [0.1f] });
        _ = new SafetyLayer(TwoD, [0f, 0f], new SafetyOptions { MaxDeltaPerTick = [0.1f, 0.2f] });
    }

    [Fact]
    public void Safe_action_must_match_the_action_and_lie_inside_the_bounds()
    {
        var options = new SafetyOptions();
        Assert.Throws<ArgumentException>(() => new SafetyLayer(TwoD, [0f], options));
        Assert.Throws<ArgumentException>(() => new SafetyLayer(TwoD, [0f, 1.5f], options));   // outside [−1, 1]
        Assert.Throws<ArgumentException>(() => new SafetyLayer(TwoD, [float.NaN, 0f], options));
        Assert.Throws<ArgumentException>(() => new SafetyLayer(TwoD, [float.PositiveInfinity, 0f], options));
        _ = new SafetyLayer(TwoD, [-2f, 1f], options); // on the bound is inside
    }

    [Fact]
    public void Null_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => new SafetyLayer(null!, [0f, 0f], new SafetyOptions()));
        Assert.Throws<ArgumentNullException>(() => new SafetyLayer(TwoD, null!, new SafetyOptions()));
        Assert.Throws<ArgumentNullException>(() => new SafetyLayer(TwoD, [0f, 0f], null!));
        Assert.Throws<ArgumentNullException>(() => new SafetyLayer((EnvironmentSpec)null!, new SafetyOptions()));
    }
}
