using RoboDdpg.Emulation.ODrive;
using RoboDdpg.Hardware.Description;
using Xunit.Abstractions;

namespace RoboDdpg.Hardware.Tests.Hil;

/// <summary>
/// The reference ODrive robot (hardware/robots/pendulum-arm-odrive.json) end to end: policy → safety → ODrive driver →
/// bytes on a pseudo-terminal → emulated ODrive → motor-pendulum physics → feedback bytes → driver → observation.
/// </summary>
[Trait("Category", "HIL")]
[Collection(HilCollection.Name)]
public sealed class ODriveRobotHilTests(ITestOutputHelper output)
{
    private const int WatchdogTicks = 3;
    private const int FaultTick = 40;

    // The reference description with a generous reply timeout: a loaded test machine delays pty round trips by tens of
    // milliseconds at times. The fault assertions do not depend on it: staleness is counted in ticks.
    private static HilHarness Robot()
    {
        var path = RepositoryFile.Locate("hardware/robots/pendulum-arm-odrive.json");
        var json = File.ReadAllText(path);
        Assert.Contains("\"timeout_ms\": 20", json);
        return new HilHarness(path, json.Replace("\"timeout_ms\": 20", "\"timeout_ms\": 150"));
    }

    private static double Angle(float[] observation) => Math.Atan2(observation[1], observation[0]);

    [Fact]
    public void The_observation_follows_the_swinging_arm()
    {
        using var robot = Robot();
        robot.At(1, () => robot.Emulation.Plant.SetState(Math.PI + 0.3, 0)); // released 0.3 rad from hanging
        robot.Run(120, bias: 0f, rateHz: 50); // torque 0: a free pendulum (period ≈ 0.95 s); 50 Hz leaves slack for the pty

        var fresh = robot.Log.Where(t => t.Fresh && t.Tick > 5).ToList();
        Assert.True(fresh.Count > 30, $"only {fresh.Count} fresh readings in 120 ticks");
        // Measured from hanging (θ = π): the observed angle swings within the release amplitude and visibly moves.
        var deflection = fresh.Select(t => Math.IEEERemainder(Angle(t.Observation) - Math.PI, 2 * Math.PI)).ToList();
        Assert.All(deflection, d => Assert.InRange(d, -0.32, 0.32));
        Assert.True(deflection.Max() - deflection.Min() > 0.4, $"the arm did not swing: {deflection.Min():F3}..{deflection.Max():F3}");
        // θ̇ observed agrees in sign with the change of the observed angle over the next tick when moving fast.
        var agree = 0;
        var fast = 0;
        for (var i = 1; i < fresh.Count; i++)
        {
            if (fresh[i].Tick != fresh[i - 1].Tick + 1 || Math.Abs(fresh[i].Observation[2]) < 0.5) continue;
            fast++;
            if (Math.Sign(deflection[i] - deflection[i - 1]) == Math.Sign(fresh[i].Observation[2])) agree++;
        }
        Assert.True(fast > 5 && agree >= 0.7 * fast, $"velocity sign agreed {agree} of {fast}");
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
    }

    [Fact]
    public void A_positive_action_turns_the_arm_positively_with_the_described_torque()
    {
        using var robot = Robot();
        robot.Run(150, bias: 0.2f, rateHz: 50); // duty tanh(0.2) → 0.197 · 3.6 N·m, above the 0.39 N·m gravity peak
        var drive = robot.Emulation.ODrive("/dev/ttyACM0");
        Assert.True(drive.Counts.Torque > 20, $"{drive.Counts.Torque} torque commands arrived");
        Assert.Contains(drive.RecentCommands, c => c.StartsWith("c 0 0.7105", StringComparison.Ordinal)); // 3.6·tanh(0.2) = 0.71057
        Assert.True(robot.Emulation.Plant.Sample().Theta > Math.PI + 1, "the arm did not turn positively");
        Assert.Equal(0, drive.InputTorque); // the loop's end wrote the safe action
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
        output.WriteLine($"read p50/p99 {robot.Robot.ReadTime.Percentile(50) / 1e3:F1}/{robot.Robot.ReadTime.Percentile(99) / 1e3:F1} µs, " +
                         $"write p50/p99 {robot.Robot.WriteTime.Percentile(50) / 1e3:F1}/{robot.Robot.WriteTime.Percentile(99) / 1e3:F1} µs per tick");
    }

    public static TheoryData<string> Faults => ["disconnect", "silence", "garbage", "bad checksums", "NaN feedback"];

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_lasting_fault_brings_the_safe_action_within_the_watchdog_and_nothing_stale_is_recorded(string fault)
    {
        using var robot = Robot();
        var drive = robot.Emulation.ODrive("/dev/ttyACM0");
        robot.At(FaultTick, () => Inject(drive, fault));
        robot.Run(FaultTick + 30, bias: 0.2f, watchdogTicks: WatchdogTicks);

        // The exchange in flight at the fault carries the previous tick, so its reading is fresh for max_age_ticks (2) more
        // ticks at most; then the watchdog needs WatchdogTicks stale ticks: from fault + 1 + 2 + 3 on, only safe actions.
        var safe = robot.SafeFromTick(FaultTick);
        var bound = FaultTick + 1 + 2 + WatchdogTicks;
        output.WriteLine($"{fault}: safe action from tick {safe} on (fault at {FaultTick}, bound {bound})");
        Assert.InRange(safe, FaultTick, bound);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
        Assert.True(robot.Robot.Health[0].FailedExchanges > 0);
    }

    [Fact]
    public void Frozen_feedback_is_caught_after_the_drivers_three_identical_answers_and_the_safe_action_holds()
    {
        using var robot = Robot();
        var drive = robot.Emulation.ODrive("/dev/ttyACM0");
        var feedbackAtFault = 0L;
        robot.At(FaultTick, () =>
        {
            feedbackAtFault = drive.Counts.Feedback;
            drive.FeedbackFault = ODriveFeedbackFault.Frozen;
        });
        robot.Run(FaultTick + 80, bias: 0.2f, watchdogTicks: WatchdogTicks);

        // A frozen position is only recognisable over several answers (ODriveMotorDriver refuses the 4th identical one),
        // so the bound counts the ticks those answers took on top of the age limit and the watchdog.
        var safe = robot.SafeFromTick(FaultTick);
        Assert.InRange(safe, FaultTick, FaultTick + 60);
        var answers = drive.Counts.Feedback - feedbackAtFault;
        output.WriteLine($"frozen feedback: {answers} answers after the fault, safe action from tick {safe} (fault at {FaultTick})");
        // On a machine so loaded that fewer answers came back, the readings went stale before the freeze could show.
        if (answers >= 4)
        {
            Assert.True(robot.Robot.Health[0].FailedExchanges > 0);
            Assert.Contains("frozen", robot.Robot.Health[0].LastError);
        }
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
    }

    [Fact]
    public void After_a_disconnect_the_driver_reconnects_and_the_policy_acts_again()
    {
        using var robot = Robot();
        var drive = robot.Emulation.ODrive("/dev/ttyACM0");
        robot.At(FaultTick, drive.Disconnect);
        robot.At(FaultTick + 20, drive.Reconnect);
        robot.Run(FaultTick + 120, bias: 0.2f, watchdogTicks: WatchdogTicks);

        Assert.Contains(robot.Log, t => t.Tick > FaultTick && t.Tick <= FaultTick + 20 && t.Written[0] == 0f); // safe while unplugged
        var late = robot.Log.Where(t => t.Tick > FaultTick + 40).ToList();
        Assert.Contains(late, t => t.Fresh && t.Written[0] > 0.1f); // acting on the policy again
        Assert.True(drive.Counts.Torque > 0);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
    }

    [Fact]
    public void A_latency_spike_is_ridden_out()
    {
        using var robot = Robot();
        var drive = robot.Emulation.ODrive("/dev/ttyACM0");
        robot.At(FaultTick, () => drive.DelayReplies(3, TimeSpan.FromMilliseconds(15)));
        robot.Run(FaultTick + 40, bias: 0.2f, watchdogTicks: WatchdogTicks);

        var late = robot.Log.Where(t => t.Tick > FaultTick + 20).ToList();
        Assert.Contains(late, t => t.Fresh); // fresh readings came back after the spike
        Assert.Contains(late, t => t.Written[0] > 0.1f);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
    }

    private static void Inject(EmulatedODrive drive, string fault)
    {
        switch (fault)
        {
            case "disconnect": drive.Disconnect(); break;
            case "silence": drive.DropReplies(int.MaxValue); break;
            case "garbage": drive.GarbleReplies(int.MaxValue); break;
            case "bad checksums": drive.CorruptReplyChecksums(int.MaxValue); break;
            case "NaN feedback": drive.FeedbackFault = ODriveFeedbackFault.NaN; break;
            default: throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }
}
