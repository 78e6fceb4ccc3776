using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Ads1115;
using RoboDdpg.Emulation.HBridge;
using Xunit.Abstractions;

namespace RoboDdpg.Hardware.Tests.Hil;

/// <summary>
/// The two remaining drivers inside the loop: the pendulum arm on an H-bridge (hardware PWM + GPIO direction pins) and
/// an ADS1115 current sense read on its own I/O thread, each failing mid-run.
/// </summary>
[Trait("Category", "HIL")]
[Collection(HilCollection.Name)]
public sealed class MoreDevicesHilTests(ITestOutputHelper output)
{
    private const int WatchdogTicks = 3;
    private const int FaultTick = 40;
    private static string HatPath => RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");

    // The HAT robot with its motor on an H-bridge instead (PWM chip 0 channel 0, direction on GPIO 5/6).
    private static string OnHBridge()
    {
        var json = File.ReadAllText(HatPath);
        var edited = json.Replace("\"motor\": { \"type\": \"pca9685-dc-motor\", \"bus\": 1, \"address\": \"0x60\", \"motor\": 1 }",
            "\"motor\": { \"type\": \"hbridge-dc-motor\", \"pwm_channel\": 0, \"in1_pin\": 5, \"in2_pin\": 6 }");
        Assert.NotEqual(json, edited);
        return edited;
    }

    // The HAT robot with the motor current (ADS1115 A0, 0.1 V/A on the emulator) in the observation.
    private static string WithCurrentSense()
    {
        var json = File.ReadAllText(HatPath);
        var edited = json.Replace("\"devices\": {", "\"devices\": {\n    \"adc\": { \"type\": \"ads1115\", \"bus\": 1, \"address\": \"0x48\", \"inputs\": \"a0\" },")
            .Replace("\"observation\": [", "\"observation\": [\n    { \"name\": \"current\", \"signal\": \"adc.a0\", \"scale\": 10, \"low\": -10, \"high\": 10 },");
        Assert.NotEqual(json, edited);
        return edited;
    }

    [Fact]
    public void On_an_h_bridge_a_failing_pwm_channel_brings_the_safe_action_at_the_exact_tick()
    {
        var clock = new FakeClock();
        using var robot = new HilHarness(HatPath, OnHBridge(), clock: clock);
        var bridge = robot.Emulation.Device<EmulatedHBridge>("motor");
        robot.At(FaultTick, () => bridge.Pwm.FailWrites = true);
        robot.Run(FaultTick + 20, new DenseLayer(3, 1, [0.1f, -0.8f, 0.05f], [0.3f]), watchdogTicks: WatchdogTicks);

        Assert.True(robot.Log.Take(FaultTick - 1).Count(t => t.Written[0] != 0f) > 30); // the policy drove the arm before
        // The failed write at the fault tick makes the next reading stale; WatchdogTicks stale ticks later: safe.
        var safe = robot.SafeFromTick(FaultTick);
        output.WriteLine($"h-bridge PWM failure: safe action from tick {safe} (fault at {FaultTick})");
        Assert.Equal(FaultTick + WatchdogTicks, safe);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
    }

    [Fact]
    public void A_nacking_current_sense_on_its_io_thread_brings_the_safe_action_within_the_age_limit_and_watchdog()
    {
        using var robot = new HilHarness(HatPath, WithCurrentSense());
        var adc = robot.Emulation.Device<EmulatedAds1115>("adc");
        robot.At(FaultTick, () => adc.Faults.Nack = true);
        robot.Run(FaultTick + 30, new DenseLayer(4, 1, [0f, 0.1f, -0.8f, 0.05f], [0.3f]), watchdogTicks: WatchdogTicks, rateHz: 50);

        // As for the ODrive: the conversion in flight carries the previous tick, fresh for max_age_ticks (2) more.
        var safe = robot.SafeFromTick(FaultTick);
        output.WriteLine($"ADS1115 NACK: safe action from tick {safe} (fault at {FaultTick})");
        Assert.InRange(safe, FaultTick, FaultTick + 1 + 2 + WatchdogTicks);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
        Assert.True(robot.Robot.Health.Single(h => h.Device == "adc").FailedExchanges > 0);
    }
}
