using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Emulation.Mpu6050;
using RoboDdpg.Emulation.Pca9685;
using RoboDdpg.Sim.MotorPendulum;
using Xunit.Abstractions;

namespace RoboDdpg.Hardware.Tests.Hil;

/// <summary>
/// The reference motor-HAT robot (hardware/robots/pendulum-arm-hat.json) end to end: policy → safety → PCA9685 motor
/// driver → emulated PCA9685 registers → TB6612 bridge → motor-pendulum physics → quadrature edges on emulated GPIO →
/// encoder driver → observation. With a fake clock the run is deterministic and must reproduce the twin exactly.
/// </summary>
[Trait("Category", "HIL")]
[Collection(HilCollection.Name)]
public sealed class HatRobotHilTests(ITestOutputHelper output)
{
    private const int WatchdogTicks = 3;
    private const int FaultTick = 40;
    private static string HatPath => RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");

    // The HAT robot plus an MPU-6050 on the arm whose gyro z joins the observation, for the IMU fault cases; the encoder
    // declares the angle lost at the first illegal A/B transition.
    private static string WithImu()
    {
        var json = File.ReadAllText(HatPath).Replace("\"zero_offset\": 3.141592653589793 }", "\"zero_offset\": 3.141592653589793, \"max_illegal_transitions\": 0 }");
        var withDevice = json.Replace("\"devices\": {", "\"devices\": {\n    \"imu\": { \"type\": \"mpu6050\", \"bus\": 1, \"address\": \"0x68\" },");
        var withObservation = withDevice.Replace("\"observation\": [", "\"observation\": [\n    { \"name\": \"gyro_z\", \"signal\": \"imu.gyro_z\", \"low\": -40, \"high\": 40 },");
        Assert.NotEqual(json, withDevice);
        Assert.NotEqual(withDevice, withObservation);
        return withObservation;
    }

    [Fact]
    public void Through_the_registers_and_encoder_edges_the_robot_reproduces_the_twin_exactly()
    {
        var clock = new FakeClock();
        using var robot = new HilHarness(HatPath, clock: clock);
        var hat = robot.Emulation.Device<EmulatedMotorHat>("motor");
        var applied = new List<double>();
        robot.AfterWrite = _ => applied.Add(hat.Output.Duty);
        // A state-dependent policy, so the duties vary: u = tanh(0.3·cos − 0.8·sin + 0.05·θ̇ + 0.1).
        robot.Run(200, new DenseLayer(3, 1, [0.3f, -0.8f, 0.05f], [0.1f]));

        using var twin = new MotorPendulumEnvironment(robot.Emulation.Plant.Parameters, seed: 1).Start();
        twin.SetState(Math.PI, 0, 0);
        var observation = new float[3];
        Expect(robot.Log[0].Observation, twin);
        for (var k = 0; k < robot.Log.Count - 1; k++)
        {
            // The PCA9685's 12-bit PWM is what reaches the motor: within half a count of the policy's duty.
            Assert.InRange(Math.Abs(applied[k] - robot.Log[k].Written[0]), 0, 0.5 / 4096 + 1e-9);
            twin.Step([(float)applied[k]], observation);
            Expect(robot.Log[k + 1].Observation, twin);
        }
        Assert.Equal(twin.Theta, robot.Emulation.Plant.Sample().Theta, 12);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
        Assert.Equal(199, robot.Replay.Count);
        output.WriteLine($"200 ticks, θ {twin.Theta:F6} rad; {robot.Robot.Health[0]}");

        static void Expect(float[] hil, MotorPendulumEnvironment twin)
        {
            Assert.Equal((float)Math.Cos(twin.MeasuredAngle), hil[0], 6);
            Assert.Equal((float)Math.Sin(twin.MeasuredAngle), hil[1], 6);
            Assert.Equal((float)twin.MeasuredVelocity, hil[2], 4);
        }
    }

    [Fact]
    public void An_observed_action_is_the_duty_written_on_the_previous_tick_as_the_twin_observes_it()
    {
        // The HAT robot observing its own last command, as motor-pendulum with observe_last_duty does.
        var json = File.ReadAllText(HatPath).Replace("\"observation\": [", "\"observation\": [\n    { \"name\": \"last_duty\", \"action\": \"duty\", \"low\": -1, \"high\": 1 },");
        Assert.Contains("last_duty", json);
        using var robot = new HilHarness(HatPath, json, clock: new FakeClock());
        Assert.Equal(["last_duty", "cos_theta", "sin_theta", "theta_dot"], robot.Robot.Spec.Observation.Names);
        robot.Run(50, new DenseLayer(4, 1, [0.5f, 0.3f, -0.8f, 0.05f], [0.1f]));

        Assert.Equal(0f, robot.Log[0].Observation[0]); // the safe action written at activation
        for (var k = 1; k < robot.Log.Count; k++)
            Assert.Equal(robot.Log[k - 1].Written[0], robot.Log[k].Observation[0]);
        Assert.Contains(robot.Log, t => Math.Abs(t.Written[0]) > 0.05f); // the policy did move the motor
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count); // an action entry is never stale

        // The twin's last_duty is the same quantity: the previous step's commanded (clipped) duty, 0 after a reset.
        using var twin = new MotorPendulumEnvironment(new MotorPendulumParameters { ObserveLastDuty = true }, seed: 1).Start();
        var observation = new float[4];
        twin.Reset(1, observation);
        Assert.Equal(0f, observation[3]);
        twin.Step([0.25f], observation);
        Assert.Equal(0.25f, observation[3]);
        twin.Step([3f], observation);
        Assert.Equal(1f, observation[3]);
    }

    public static TheoryData<string> Faults => ["motor NACK", "encoder illegal edges", "imu NACK", "imu stuck", "imu garbage"];

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_lasting_fault_brings_the_safe_action_within_the_watchdog_and_nothing_stale_is_recorded(string fault)
    {
        var clock = new FakeClock();
        using var robot = new HilHarness(HatPath, WithImu(), clock: clock);
        robot.At(FaultTick, () => Inject(robot, fault));
        // A state-dependent policy: the duty changes every tick, so every tick writes to the PCA9685 (an unchanged duty
        // is not rewritten, and a NACK would go unnoticed until the next change).
        robot.Run(FaultTick + 40, new DenseLayer(4, 1, [0f, 0.1f, -0.8f, 0.05f], [0.3f]), watchdogTicks: WatchdogTicks);

        // Inline devices fail in the tick they break; the last good reading (tick FaultTick − 1) stays usable for
        // max_age_ticks (2), so readings are stale from FaultTick + 2 on and WatchdogTicks stale ticks later the safe
        // action is written. Detection adds its own ticks: the encoder's illegal transition comes with the next burst of
        // edges, and a frozen IMU is recognised after 100 ms (10 ticks) of identical readings.
        var detection = fault switch { "imu stuck" => 10, "encoder illegal edges" => 1, _ => 0 };
        var bound = FaultTick + detection + 2 + WatchdogTicks - 1;
        var safe = robot.SafeFromTick(FaultTick);
        output.WriteLine($"{fault}: safe action from tick {safe} (fault at {FaultTick}, bound {bound})");
        Assert.InRange(safe, FaultTick + 2, bound); // deterministic: nothing goes stale before the fault
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
        Assert.Contains(robot.Robot.Health, h => h.FailedExchanges > 0);
    }

    [Fact]
    public void A_latency_spike_on_the_bus_is_ridden_out_and_a_transient_nack_is_retried_within_the_tick()
    {
        var clock = new FakeClock();
        using var robot = new HilHarness(HatPath, WithImu(), clock: clock);
        var imu = robot.Emulation.Device<EmulatedMpu6050>("imu");
        robot.At(FaultTick, () => imu.Faults.NackNext(1));
        robot.At(FaultTick + 10, () => imu.Faults.AddLatency(TimeSpan.FromMilliseconds(3), 2));
        robot.Run(FaultTick + 30, bias: 0.3f, watchdogTicks: WatchdogTicks);

        Assert.All(robot.Log, t => Assert.True(t.Fresh)); // one retry absorbed the NACK; 3 ms of bus time fits in the tick
        Assert.True(robot.Robot.Health.Single(h => h.Device == "imu").Retries >= 1);
        Assert.Equal(robot.Log.Count - 1, robot.Replay!.Count);
    }

    [Fact]
    public void In_real_time_the_arm_swings_up_under_a_positive_duty_and_per_tick_io_is_measured()
    {
        using var robot = new HilHarness(HatPath);
        robot.Run(150, bias: 1.5f); // duty tanh(1.5) = 0.905: the motor turns the arm over
        Assert.True(robot.Emulation.Plant.Sample().Theta > Math.PI + 1, "the arm did not turn positively");
        Assert.True(robot.Log.Count(t => t.Fresh) > 100);
        Assert.Equal(robot.RecordableTransitions(), robot.Replay!.Count);
        output.WriteLine($"per tick, 400 kHz emulated I2C: read p50/p99 {robot.Robot.ReadTime.Percentile(50) / 1e3:F0}/{robot.Robot.ReadTime.Percentile(99) / 1e3:F0} µs, " +
                         $"write p50/p99 {robot.Robot.WriteTime.Percentile(50) / 1e3:F0}/{robot.Robot.WriteTime.Percentile(99) / 1e3:F0} µs");
    }

    private static void Inject(HilHarness robot, string fault)
    {
        var e = robot.Emulation;
        switch (fault)
        {
            case "motor NACK": e.Device<EmulatedMotorHat>("motor").Chip.Faults.Nack = true; break;
            case "encoder illegal edges": e.Device<EmulatedQuadratureEncoder>("encoder").InjectIllegalTransition(); break;
            case "imu NACK": e.Device<EmulatedMpu6050>("imu").Faults.Nack = true; break;
            case "imu stuck": e.Device<EmulatedMpu6050>("imu").Faults.Frozen = true; break;
            case "imu garbage": e.Device<EmulatedMpu6050>("imu").Faults.Garbage = true; break;
            default: throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }
}
