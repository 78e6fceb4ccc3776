using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Robot;

namespace RoboDdpg.Hardware.Tests.Robot;

public sealed class HardwareEnvironmentTests
{
    private sealed class NoBuses : IBusProvider
    {
        public System.Device.I2c.I2cDevice OpenI2c(int busId, int address) => throw new NotSupportedException();
        public System.Device.Gpio.GpioController Gpio => throw new NotSupportedException();
        public System.Device.Pwm.PwmChannel OpenPwm(int chip, int channel, int frequencyHz) => throw new NotSupportedException();
        public string ResolveSerialPort(string port) => throw new NotSupportedException();
    }

    private static HardwareEnvironment Build(FakeArm arm, RobotDescription description, IMonotonicClock? clock = null)
    {
        var env = new HardwareEnvironment(description, new NoBuses(), clock, (_, _) => arm);
        env.Configure();
        env.Activate();
        return env;
    }

    /// <summary>u = tanh(b) constant, whatever the observation.</summary>
    private static MlpPolicy Constant(float b) => new([new DenseLayer(3, 1, [0f, 0f, 0f], [b])], [-1f], [1f]);

    /// <summary>Drives the tick handler directly, as the real-time loop's thread would.</summary>
    private sealed class Ticker(ControlLoop control)
    {
        private bool _started;

        public void RunTicks(int count, bool stop = true)
        {
            if (!_started)
            {
                control.OnStart();
                _started = true;
            }
            for (var i = 0; i < count; i++) control.OnTick(default);
            if (stop) control.OnStop();
        }
    }

    private static (Ticker Loop, ControlLoop Control, ReplayBuffer Replay) Loop(HardwareEnvironment env, float bias, int watchdogTicks = 3, int settleTicks = 0)
    {
        var replay = new ReplayBuffer(1000, 3, 1);
        var policies = new PolicySnapshotExchange(Constant(bias), () => Constant(0));
        var control = new ControlLoop(env, policies, null, new SafetyLayer(env.Spec, new SafetyOptions { WatchdogTicks = watchdogTicks }), replay,
            new ControlLoopOptions { Seed = 1, SettleTicks = settleTicks });
        return (new Ticker(control), control, replay);
    }

    [Fact]
    public void Maps_readings_to_the_observation_and_actions_to_device_commands()
    {
        var arm = new FakeArm();
        using var env = Build(arm, FakeArm.Describe());
        arm.Angle = 0.5; arm.Velocity = 4; // after activation: its safe-action write moves the arm
        Assert.Equal([0.1], arm.Written); // activation writes the safe action through the mapping: 0·2 + 0.1
        var obs = new float[3];
        env.Reset(null, obs);
        Assert.Equal((float)Math.Cos(0.5), obs[0]);
        Assert.Equal((float)Math.Sin(0.5), obs[1]);
        Assert.Equal(4 * 0.5f + 1f, obs[2]); // scale 0.5, offset 1

        env.Write([0.3f]);
        Assert.Equal(0.3 * 2 + 0.1, arm.Written[^1], 6);
        env.Write([1f]);
        Assert.Equal(1.5, arm.Written[^1], 6); // 2.1 clamped to command_max 1.5
        env.Write([-1f]);
        Assert.Equal(-1.5, arm.Written[^1], 6); // −1.9 clamped to command_min
    }

    [Fact]
    public void Loop_records_each_transition_with_the_reward_of_the_readings_the_action_was_chosen_from()
    {
        var arm = new FakeArm();
        using var env = Build(arm, FakeArm.Describe());
        arm.Angle = 3.0; // after activation: its safe-action write moves the arm
        var (loop, control, replay) = Loop(env, 0.5f);
        loop.RunTicks(4);

        var u = (float)Math.Tanh(0.5);
        var command = u * 2 + 0.1; // each write moves the angle by command·0.1
        // Tick 1 resets (reads 3.0) and writes; ticks 2..4 each read the result and record one transition.
        Assert.Equal(3, replay.Count);
        for (var k = 0; k < 3; k++)
        {
            var t = replay.Get(k);
            var before = 3.0 + k * command * 0.1;
            var after = before + command * 0.1;
            Assert.Equal((float)Math.Cos(before), t.Observation[0], 5);
            Assert.Equal(u, t.Action[0], 6);
            Assert.Equal((float)Math.Cos(after), t.NextObservation[0], 5);
            // reward = −1·wrap(θ_before)² − 0.5·u², θ_before wrapped into (−π, π].
            var wrapped = Math.IEEERemainder(before, 2 * Math.PI);
            Assert.Equal(-wrapped * wrapped - 0.5 * u * u, t.Reward, 4);
        }
        Assert.Equal(0.1, arm.Written[^1], 6); // loop stop → deactivate → safe action 0 → command 0·2 + 0.1
        Assert.Equal(1, arm.Stops);
        Assert.Equal(LifecycleState.Inactive, env.State);
        Assert.Equal(0, control.Status.StaleTicks);
    }

    [Fact]
    public void Between_episodes_the_robot_settles_under_the_safe_action_and_nothing_is_recorded()
    {
        var arm = new FakeArm();
        using var env = Build(arm, FakeArm.Describe(maxEpisodeSteps: 3));
        var (loop, control, replay) = Loop(env, 0.5f, settleTicks: 2);
        var writesBefore = arm.Written.Count;
        loop.RunTicks(6, stop: false);

        var u = Math.Tanh(0.5) * 2 + 0.1;
        double[] expected = [u, u, u, 0.1, 0.1, u]; // 3-step episode, 2 settling ticks (safe action 0 → 0.1), next episode
        Assert.Equal(expected.Length, arm.Written.Count - writesBefore);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], arm.Written[writesBefore + i], 6);
        Assert.Equal(3, replay.Count);
        Assert.Equal(1, control.Status.Episodes);
        Assert.Equal(0, control.Status.StaleTicks);
    }

    [Fact]
    public void Transient_errors_are_retried_within_the_tick()
    {
        var arm = new FakeArm();
        using var env = Build(arm, FakeArm.Describe(new FaultPolicy(Retries: 2, RetryDelayMicroseconds: 10)));
        arm.Angle = 1; // after activation: its safe-action write moves the arm
        var obs = new float[3];
        env.Reset(null, obs);
        arm.FailNextReads = 2;
        var reading = env.Read(obs);
        Assert.True(reading.Fresh);
        Assert.Equal(2, env.Health[0].Retries);
        Assert.Equal(0, env.Health[0].FailedExchanges);

        arm.FailNextReads = 3; // one more than the retries: this tick's reading fails, the last good value stays
        arm.Angle = 2;
        reading = env.Read(obs);
        Assert.False(reading.Fresh);
        Assert.Equal((float)Math.Cos(1), obs[0]);
        Assert.Equal(1, env.Health[0].FailedExchanges);
        Assert.Contains("NACK", env.Health[0].LastError);
    }

    [Fact]
    public void A_broken_sensor_leads_to_the_safe_action_within_the_watchdog_ticks_and_nothing_stale_is_recorded()
    {
        var arm = new FakeArm { Angle = 3.0 };
        var clock = new FakeClock();
        using var env = Build(arm, FakeArm.Describe(new FaultPolicy(Retries: 1, GiveUpAfterSeconds: 1.0)), clock);
        var (loop, control, replay) = Loop(env, 0.5f, watchdogTicks: 3);
        loop.RunTicks(5, stop: false);
        var recordedBefore = replay.Count;
        Assert.Equal(4, recordedBefore);

        arm.FailAllReads = true;
        var writesBefore = arm.Written.Count;
        loop.RunTicks(3, stop: false);
        var afterFault = arm.Written.Skip(writesBefore).ToList();
        var u = Math.Tanh(0.5) * 2 + 0.1;
        // Stale ticks 1 and 2 still act (within the watchdog's patience); the 3rd writes the safe action (0 → 0.1).
        Assert.Equal(u, afterFault[0], 6);
        Assert.Equal(u, afterFault[1], 6);
        Assert.Equal(0.1, afterFault[2], 6);
        Assert.Equal(recordedBefore, replay.Count); // nothing built on stale readings
        Assert.Equal(3, control.Status.StaleTicks);
        Assert.Null(control.Status.Fault);

        clock.Advance(TimeSpan.FromSeconds(1.5)); // still broken past give_up_after_seconds
        loop.RunTicks(1, stop: false);
        Assert.Contains("device 'arm' has failed", control.Status.Fault);
        Assert.True(control.Safety.EmergencyStopped);
        Assert.True(control.Safety.LearningHalted);

        arm.FailAllReads = false; // a recovered sensor does not release the emergency stop: a human does
        loop.RunTicks(2, stop: true);
        Assert.All(arm.Written.Skip(writesBefore + 2), c => Assert.Equal(0.1, c, 6));
        Assert.Equal(1, arm.Stops);
    }

    [Fact]
    public void A_failed_actuator_write_makes_the_next_reading_stale_until_a_write_succeeds()
    {
        var arm = new FakeArm();
        using var env = Build(arm, FakeArm.Describe(new FaultPolicy(Retries: 1)));
        var obs = new float[3];
        env.Reset(null, obs);
        arm.FailWrites = true;
        env.Write([0.5f]);
        Assert.False(env.Read(obs).Fresh); // the sensor answers, but the motor's command is unknown
        arm.FailWrites = false;
        env.Write([0f]);
        Assert.True(env.Read(obs).Fresh);
        Assert.Equal(1, env.Health[0].FailedExchanges);
    }

    [Fact]
    public void Failures_in_a_row_open_the_circuit_and_an_open_circuit_spares_the_device()
    {
        var arm = new FakeArm();
        var clock = new FakeClock();
        using var env = Build(arm, FakeArm.Describe(new FaultPolicy(Retries: 1, BreakAfterFailures: 5, BreakSeconds: 2, GiveUpAfterSeconds: 60)), clock);
        var obs = new float[3];
        env.Reset(null, obs);
        arm.FailAllReads = true;
        for (var i = 0; i < 4; i++) env.Read(obs);
        Assert.Equal(0, env.Health[0].CircuitOpenings); // earlier successes do not delay it: the 5th failure in a row opens it
        env.Read(obs);
        Assert.Equal(1, env.Health[0].CircuitOpenings);
        var readsWhenOpened = arm.Reads;
        for (var i = 0; i < 10; i++) Assert.False(env.Read(obs).Fresh);
        Assert.Equal(readsWhenOpened, arm.Reads); // the broken device is not hammered while the circuit is open
        Assert.StartsWith("circuit open after 5 failures in a row (NACK)", env.Health[0].LastError);

        clock.Advance(TimeSpan.FromSeconds(2.5)); // the break is over: one probe goes through…
        env.Read(obs);
        Assert.Equal(readsWhenOpened + 2, arm.Reads); // …with its retry, fails, and isolates again at once
        Assert.Equal(2, env.Health[0].CircuitOpenings);
        clock.Advance(TimeSpan.FromSeconds(2.5));
        arm.FailAllReads = false;
        env.Read(obs);
        Assert.True(env.Read(obs).Fresh); // the device is back, and so is the circuit
    }

    [Fact]
    public void A_non_finite_reading_is_a_failed_read()
    {
        var arm = new FakeArm();
        using var env = Build(arm, FakeArm.Describe(new FaultPolicy(Retries: 1)));
        arm.Angle = 1; // after activation: its safe-action write moves the arm
        var obs = new float[3];
        env.Reset(null, obs);
        arm.ReturnNaN = true;
        var reading = env.Read(obs);
        Assert.False(reading.Fresh);
        Assert.All(obs, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1, env.Health[0].Retries);
        Assert.Contains("non-finite", env.Health[0].LastError);
    }

    [Fact]
    public void A_blocking_device_is_read_on_its_own_thread_and_a_lagging_one_goes_stale_without_blocking_the_loop()
    {
        var arm = new FakeArm(mayBlock: true);
        using var env = Build(arm, FakeArm.Describe(maxAgeTicks: 2));
        Assert.True(SpinWait.SpinUntil(() => arm.Reads >= 1, 2000)); // the activation's write and read on the I/O thread
        arm.Angle = 0.25;
        var obs = new float[3];
        env.Reset(null, obs);
        env.Write([0f]);
        // The I/O thread answers the request of the last tick; wait for it like a following tick would.
        Assert.True(SpinWait.SpinUntil(() => arm.Reads >= 2, 2000)); // the cycle this write started has read back
        // The device counts its read a moment before the port publishes the value: wait until the reading of the
        // activation's cycle (angle 0.01) has been replaced (in the usual case at the first Read, which is then fresh).
        var previous = (float)Math.Cos(0.01);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        do env.Read(obs); while (obs[0] == previous && waited.ElapsedMilliseconds < 2000);
        Assert.Equal((float)Math.Cos(0.25 + 0.01), obs[0], 5); // the write (command 0.1 → +0.01 rad) happened before the read

        arm.ReadDelayMilliseconds = 300;
        env.Write([0f]);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var stale = false;
        for (var i = 0; i < 5 && !stale; i++) stale = !env.Read(obs).Fresh;
        Assert.True(stale);
        Assert.True(started.ElapsedMilliseconds < 250, $"Read waited {started.ElapsedMilliseconds} ms for a slow device");
        arm.ReadDelayMilliseconds = 0;
    }

    [Fact]
    public void Deactivate_writes_the_safe_action_and_stops_every_device()
    {
        var arm = new FakeArm();
        var env = Build(arm, FakeArm.Describe());
        env.Write([0.7f]);
        env.Deactivate();
        Assert.Equal(0.1, arm.Written[^1], 6);
        Assert.Equal(1, arm.Stops);
        env.Dispose();
        Assert.True(arm.Disposed);
    }
}
