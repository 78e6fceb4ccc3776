using System.Diagnostics;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.ODrive;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.ODrive;
using RoboDdpg.Sim.MotorPendulum;
using Xunit.Abstractions;

namespace RoboDdpg.Hardware.Tests.ODrive;

/// <summary>The real ODrive driver against the emulated ODrive over a pseudo-terminal.</summary>
[Trait("Category", "HIL")]
[Collection(RoboDdpg.Hardware.Tests.Hil.HilCollection.Name)] // alone: each runs a pty, an emulator thread and SerialPort's I/O thread on wall-clock timeouts
public sealed class ODriveDriverHilTests(ITestOutputHelper output)
{
    private const double TurnsResolution = 1e-6; // the firmware prints %f

    [Fact]
    public void Open_probes_sets_torque_mode_and_enters_closed_loop()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();

        Assert.Equal(24.0, rig.Driver.BusVoltage);
        Assert.Equal(8, rig.Emulator.AxisState);
        Assert.Equal(1, rig.Emulator.ControlMode);
        Assert.Equal(0, rig.Emulator.InputTorque);
        var counts = rig.Emulator.Counts;
        Assert.Equal(1, counts.ClosedLoopRequests);
        Assert.Equal(0, counts.ChecksumRejected);
        Assert.Equal(0, counts.Unknown);
        Assert.Equal(
            ["r vbus_voltage", "r axis0.error", "c 0 0", "w axis0.controller.config.control_mode 1", "r axis0.controller.config.control_mode",
             "w axis0.requested_state 8", "r axis0.current_state"],
            rig.Emulator.RecentCommands);
        Assert.Equal(["position", "velocity"], rig.Driver.Inputs);
        Assert.Equal(["torque"], rig.Driver.Outputs);
        Assert.True(rig.Driver.MayBlock);
    }

    [Fact]
    public void Open_on_a_silent_port_names_the_port_and_the_timeout()
    {
        using var silent = PseudoTerminal.Open(); // nobody answers on the master side
        var settings = new ODriveSettings("ttyACM0", TimeoutMilliseconds: 20);
        using var driver = new ODriveMotorDriver("arm_drive", settings, new SerialOnlyBuses(() => silent.SlavePath));

        var e = Assert.Throws<DeviceException>(driver.Open);

        Assert.Equal($"device 'arm_drive': no answer from ODrive on {silent.SlavePath} within 20 ms: is it powered, and are 'baud' and 'checksum' right?", e.Message);
        Assert.IsType<TimeoutException>(e.InnerException);
    }

    [Fact]
    public void Open_on_a_device_answering_garbage_is_a_device_error()
    {
        using var rig = new ODriveRig();
        rig.Emulator.GarbleReplies(3); // every probe attempt

        var e = Assert.Throws<DeviceException>(rig.Driver.Open);

        Assert.StartsWith($"device 'arm_drive': ODrive on {rig.Emulator.SlavePath} did not answer as expected: answer is not protocol text", e.Message);
        Assert.IsType<DeviceProtocolException>(e.InnerException);
        Assert.Equal(3, rig.Emulator.Counts.RepliesGarbled);
    }

    [Fact]
    public void Open_on_a_missing_port_is_a_device_error_naming_it()
    {
        using var dev = new TempDirectory();
        var buses = new LinuxBusProvider(devRoot: dev.Path);
        using var driver = new ODriveMotorDriver("arm_drive", new ODriveSettings("ttyACM7"), buses);

        var e = Assert.Throws<DeviceException>(driver.Open);

        Assert.Contains($"serial port {Path.Combine(dev.Path, "ttyACM7")} does not exist", e.Message);
        Assert.IsType<BusUnavailableException>(e.InnerException);
    }

    [Fact]
    public void Open_refuses_an_axis_that_reports_an_error()
    {
        using var rig = new ODriveRig();
        rig.Emulator.SetAxisError(0x40);

        var e = Assert.Throws<DeviceException>(rig.Driver.Open);

        Assert.Contains("reports axis0.error = 0x40", e.Message);
        Assert.Equal(1, rig.Emulator.AxisState);
        Assert.Equal(0, rig.Emulator.Counts.ClosedLoopRequests);
    }

    [Fact]
    public void Open_without_checksums_speaks_plain_lines()
    {
        using var rig = new ODriveRig(settings: new ODriveSettings("ttyACM0", Checksum: false, TimeoutMilliseconds: 1000, GearRatio: 30));
        rig.Driver.Open();
        rig.Read();
        Assert.Equal(8, rig.Emulator.AxisState);
        Assert.Equal("f 0", rig.Emulator.RecentCommands[^1]);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(-0.05)]
    public void Constant_torque_accelerates_a_horizontal_arm_at_tau_over_j(double torque)
    {
        using var rig = new ODriveRig(ODriveRig.FrictionlessHorizontal, initialTheta: 1.0);
        rig.Driver.Open();
        var (theta0, omega0) = rig.Read();
        Assert.Equal(0.0, theta0, 1e-6); // the encoder counts from where the arm was at power-on
        Assert.Equal(0.0, omega0);

        rig.Write(torque);
        const double duration = 0.2;
        rig.Advance(duration);
        var (theta, omega) = rig.Read();

        // J = N²·J_rotor + m·l² = 900·1e-6 + 0.2·0.04 = 0.0089 kg·m²; α = τ/J.
        // The velocity gains τ/J·t exactly (up to the 9-decimal command and 6-decimal feedback); the angle ½·τ/J·t² is
        // over-estimated by (n+1)/n = 0.25 % by the plant's semi-implicit Euler in n = 400 sub-steps of 0.5 ms.
        var expectedAcceleration = torque / 0.0089;
        Assert.Equal(expectedAcceleration, omega / duration, Math.Abs(expectedAcceleration) * 1e-4);
        Assert.Equal(expectedAcceleration * 401 / 400, 2 * (theta - theta0) / (duration * duration), Math.Abs(expectedAcceleration) * 1e-4);
        Assert.Equal(torque / 30, rig.Emulator.InputTorque, 1e-9); // the motor sees the output torque through the gear
        Assert.Equal(torque, rig.Emulator.AppliedTorque, 1e-7);
    }

    [Fact]
    public void Feedback_turns_convert_to_output_radians_through_the_gear_ratio()
    {
        // An uncommon gear ratio, so nothing can pass by assuming 30:1; the arm hangs (θ = π) at power-on.
        var parameters = new MotorPendulumParameters { GearRatio = 12.5 };
        using var rig = new ODriveRig(parameters);
        rig.Driver.Open();
        rig.Plant.SetState(2.0, -1.5);

        var (position, velocity) = rig.Read();
        var sample = rig.Plant.Sample();

        var resolution = TurnsResolution * 2 * Math.PI / 12.5;
        Assert.Equal(Math.PI, rig.Emulator.EncoderZero);
        Assert.Equal(sample.Theta - Math.PI, position, resolution);
        Assert.Equal(sample.Omega, velocity, resolution);
        Assert.Equal(2.0 - Math.PI, position, resolution);
        Assert.Equal(-1.5, velocity, resolution);
    }

    [Fact]
    public void Encoder_zero_can_be_placed_at_upright()
    {
        using var rig = new ODriveRig(options: new EmulatedODriveOptions { EncoderZero = 0 });
        rig.Driver.Open();
        Assert.Equal(Math.PI, rig.Read().Position, 1e-6);
    }

    [Fact]
    public void Velocity_mode_tracks_the_commanded_output_speed()
    {
        var settings = new ODriveSettings("ttyACM0", Mode: ODriveCommandMode.Velocity, TimeoutMilliseconds: 1000, GearRatio: 30);
        using var rig = new ODriveRig(new MotorPendulumParameters { Gravity = 0 }, settings);
        rig.Driver.Open();
        Assert.Equal(2, rig.Emulator.ControlMode);
        Assert.Equal(["velocity"], rig.Driver.Outputs);

        rig.Write(3.0);
        Assert.Equal(3.0 * 30 / (2 * Math.PI), rig.Emulator.InputVelocity, 1e-8);
        double velocity = 0;
        for (var i = 0; i < 200; i++) // 1 s in 5 ms steps; every exchange updates the emulated velocity loop
        {
            rig.Advance(0.005);
            velocity = rig.Read().Velocity;
        }
        Assert.Equal(3.0, velocity, 0.03);
    }

    [Fact]
    public void Stop_commands_zero_and_idle_confirms_it_and_a_later_write_rearms()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Write(0.2);
        Assert.Equal(0.2 / 30, rig.Emulator.InputTorque, 1e-9);

        Assert.True(rig.Driver.Stop());

        Assert.Null(rig.Driver.LastStopProblem);
        Assert.Equal(0, rig.Emulator.InputTorque);
        Assert.Equal(1, rig.Emulator.AxisState);
        Assert.Equal(0, rig.Emulator.AppliedTorque);
        Assert.Equal(1, rig.Emulator.Counts.IdleRequests);
        Assert.Equal(["c 0 0", "w axis0.requested_state 1", "r axis0.current_state"], rig.Emulator.RecentCommands.TakeLast(3));

        rig.Write(0.1);
        Assert.Equal(8, rig.Emulator.AxisState);
        Assert.Equal(2, rig.Emulator.Counts.ClosedLoopRequests);
        Assert.Equal(0.1, rig.Emulator.AppliedTorque, 1e-7);
    }

    [Fact]
    public void Stop_in_velocity_mode_commands_zero_speed()
    {
        var settings = new ODriveSettings("ttyACM0", Mode: ODriveCommandMode.Velocity, TimeoutMilliseconds: 1000, GearRatio: 30);
        using var rig = new ODriveRig(settings: settings);
        rig.Driver.Open();
        rig.Write(2.0);

        Assert.True(rig.Driver.Stop());

        Assert.Equal(0, rig.Emulator.InputVelocity);
        Assert.Equal(1, rig.Emulator.AxisState);
        Assert.Equal(["v 0 0", "w axis0.requested_state 1", "r axis0.current_state"], rig.Emulator.RecentCommands.TakeLast(3));
    }

    [Fact]
    public void Dispose_idles_an_armed_axis()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Write(0.3);

        rig.Driver.Dispose();

        Assert.Equal(1, rig.Emulator.AxisState);
        Assert.Equal(0, rig.Emulator.AppliedTorque);
        Assert.Equal(1, rig.Emulator.Counts.IdleRequests);
        Assert.Throws<ObjectDisposedException>(() => rig.Read());
    }

    [Fact]
    public void Stop_on_a_pulled_cable_reports_false_and_does_not_throw()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Emulator.Disconnect();

        Assert.False(rig.Driver.Stop());
        Assert.Contains("serial port", rig.Driver.LastStopProblem);
    }

    [Fact]
    public void Latency_spike_longer_than_the_timeout_is_a_timeout_and_reads_recover()
    {
        var settings = new ODriveSettings("ttyACM0", TimeoutMilliseconds: 400, GearRatio: 30);
        using var rig = new ODriveRig(settings: settings);
        rig.Driver.Open();
        rig.Emulator.DelayReplies(1, TimeSpan.FromMilliseconds(1500));

        var e = Assert.Throws<TimeoutException>(() => rig.Read());
        Assert.Contains("no answer from ODrive", e.Message);
        Assert.Contains("within 400 ms to 'f 0'", e.Message);

        // Open's four property reads, then the late feedback answer: once it is out, the next exchange discards it.
        ODriveRig.WaitUntil(() => rig.Emulator.Counts.Replies == 5, "the late answer went out");
        var (position, _) = rig.Read();
        Assert.Equal(rig.ExpectedPosition(), position, 1e-6);
        Assert.Equal(1, rig.Driver.Statistics.Timeouts);
    }

    [Fact]
    public void Latency_spike_within_the_timeout_is_absorbed()
    {
        using var rig = new ODriveRig(); // 200 ms timeout
        rig.Driver.Open();
        rig.Emulator.DelayReplies(3, TimeSpan.FromMilliseconds(10));
        for (var i = 0; i < 3; i++) Assert.Equal(rig.ExpectedPosition(), rig.Read().Position, 1e-6);
        Assert.Equal(3, rig.Emulator.Counts.RepliesDelayed);
        Assert.Equal(0, rig.Driver.Statistics.Timeouts);
    }

    [Fact]
    public void Garbage_answer_is_a_transient_protocol_error_and_the_link_resynchronizes()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Emulator.GarbleReplies(1);

        var e = Assert.Throws<DeviceProtocolException>(() => rig.Read());
        Assert.IsAssignableFrom<IOException>(e); // transient: the runtime retries it
        Assert.Contains("answer is not protocol text", e.Message);
        Assert.Contains(@"\xff", e.Message);

        Assert.Equal(rig.ExpectedPosition(), rig.Read().Position, 1e-6);
        Assert.Equal(1, rig.Driver.Statistics.ProtocolErrors);
    }

    [Fact]
    public void Wrong_answer_checksum_is_a_transient_protocol_error()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Emulator.CorruptReplyChecksums(2);

        Assert.Contains("checksum does not match", Assert.Throws<DeviceProtocolException>(() => rig.Read()).Message);
        Assert.Contains("checksum does not match", Assert.Throws<DeviceProtocolException>(() => rig.Read()).Message);
        Assert.Equal(rig.ExpectedPosition(), rig.Read().Position, 1e-6);
        Assert.Equal(2, rig.Emulator.Counts.ChecksumsCorrupted);
    }

    [Fact]
    public void Dropped_answer_is_a_timeout_and_the_next_exchange_works()
    {
        var settings = new ODriveSettings("ttyACM0", TimeoutMilliseconds: 400, GearRatio: 30);
        using var rig = new ODriveRig(settings: settings);
        rig.Driver.Open();
        rig.Emulator.DropReplies(1);

        Assert.Throws<TimeoutException>(() => rig.Read());
        Assert.Equal(rig.ExpectedPosition(), rig.Read().Position, 1e-6);
        Assert.Equal(1, rig.Emulator.Counts.RepliesDropped);
    }

    [Fact]
    public void NaN_feedback_is_refused_not_reported()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Emulator.FeedbackFault = ODriveFeedbackFault.NaN;

        var e = Assert.Throws<DeviceProtocolException>(() => rig.Read());
        Assert.Contains("feedback is not finite", e.Message);
        Assert.Contains("'nan nan'", e.Message);

        rig.Emulator.FeedbackFault = ODriveFeedbackFault.None;
        Assert.Equal(rig.ExpectedPosition(), rig.Read().Position, 1e-6);
    }

    [Fact]
    public void Frozen_feedback_while_the_arm_moves_is_detected_as_a_protocol_error()
    {
        using var rig = new ODriveRig(ODriveRig.FrictionlessHorizontal, initialTheta: 0);
        rig.Driver.Open();
        rig.Plant.SetState(0, 5.0); // spinning freely at 5 rad/s
        var (frozenPosition, frozenVelocity) = rig.Read();
        rig.Emulator.FeedbackFault = ODriveFeedbackFault.Frozen;

        DeviceProtocolException? detected = null;
        var answersBeforeDetection = 0;
        for (var i = 0; i < 10 && detected is null; i++)
        {
            rig.Advance(0.01);
            Thread.Sleep(2); // real time passes too: 5 rad/s ≈ 24 motor turns/s should move the encoder 0.05 turns
            try
            {
                var (position, velocity) = rig.Read();
                answersBeforeDetection++;
                Assert.Equal((frozenPosition, frozenVelocity), (position, velocity)); // reported as read until detected
            }
            catch (DeviceProtocolException e)
            {
                detected = e;
            }
        }

        Assert.NotNull(detected);
        Assert.Contains("feedback frozen", detected.Message);
        Assert.Equal(2, answersBeforeDetection); // the 3rd repeat of the same position is refused
        rig.Emulator.FeedbackFault = ODriveFeedbackFault.None;
        var (moved, speed) = rig.Read();
        Assert.Equal(rig.ExpectedPosition(), moved, 1e-6);
        Assert.Equal(5.0, speed, 1e-5);
    }

    [Fact]
    public void Pulled_cable_is_an_io_error_until_it_is_back_then_the_driver_reconnects_and_rearms()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        rig.Write(0.1);
        var firstPath = rig.Emulator.SlavePath;

        rig.Emulator.Disconnect();
        var lost = Assert.Throws<IOException>(() => rig.Read());
        Assert.IsNotType<DeviceProtocolException>(lost);
        Assert.Contains($"serial port {firstPath} lost", lost.Message);
        var stillGone = Assert.Throws<IOException>(() => rig.Read());
        Assert.Equal($"device 'arm_drive': cannot reopen the serial port: serial port {firstPath} does not exist", stillGone.Message);
        Assert.Equal(1, rig.Emulator.AxisState); // the ODrive dropped to idle with the link

        rig.Emulator.Reconnect();
        var (position, _) = rig.Read();
        Assert.Equal(rig.ExpectedPosition(), position, 1e-6);
        Assert.Equal(1, rig.Driver.Statistics.Reconnects);
        Assert.Equal(1, rig.Driver.Statistics.PortLosses);
        Assert.Equal(1, rig.Emulator.AxisState); // reading does not arm the motor…

        rig.Write(0.1);
        Assert.Equal(8, rig.Emulator.AxisState); // …the next command does
        Assert.Equal(0.1, rig.Emulator.AppliedTorque, 1e-7);
    }

    [Fact]
    public void Axis_error_when_rearming_is_permanent()
    {
        using var rig = new ODriveRig();
        rig.Driver.Open();
        Assert.True(rig.Driver.Stop());
        rig.Emulator.SetAxisError(0x100);

        var e = Assert.Throws<DeviceException>(() => rig.Driver.Write([0.1]));
        Assert.Contains("did not enter closed-loop control", e.Message);
        Assert.Contains("axis0.error = 0x100", e.Message);
    }

    [Fact]
    public void Catalog_builds_the_driver_from_description_settings()
    {
        var settings = new DeviceSettings(new Dictionary<string, object>
        {
            ["port"] = "ttyACM0",
            ["baud"] = 115200L,
            ["axis"] = 1L,
            ["mode"] = "velocity",
            ["checksum"] = false,
            ["timeout_ms"] = 15.0,
            ["gear_ratio"] = 8.0,
        });
        var description = new DeviceDescription("arm_drive", "odrive", settings, new SourceLocation("robot.yaml", 12));
        var type = DeviceCatalog.Types["odrive"];

        using var device = type.Create(description, new SerialOnlyBuses(() => "/nonexistent"));

        var driver = Assert.IsType<ODriveMotorDriver>(device);
        Assert.Equal(new ODriveSettings("ttyACM0", 115200, 1, ODriveCommandMode.Velocity, false, 15.0, 8.0), driver.Settings);
        Assert.Equal("arm_drive", driver.Name);
        Assert.Equal(type.Outputs(settings), driver.Outputs);
        Assert.Equal(type.Inputs(settings), driver.Inputs);
    }

    [Fact]
    public void Emulator_ignores_a_command_with_a_bad_checksum_and_answers_a_good_one_with_its_own()
    {
        using var rig = new ODriveRig();
        using var port = new System.IO.Ports.SerialPort(rig.Emulator.SlavePath, 115200) { ReadTimeout = 100, WriteTimeout = 100 };
        port.Open();

        port.Write("r axis0.current_state *1\n"); // wrong: the real one is below
        Assert.Throws<TimeoutException>(() => port.ReadLine());
        Assert.Equal(1, rig.Emulator.Counts.ChecksumRejected);

        // "r axis0.current_state " XORs to 46; the answer "1" (0x31) to 49.
        port.ReadTimeout = 1000;
        port.Write("r axis0.current_state *46\n");
        Assert.Equal("1*49\r", port.ReadLine());
        port.Write("r axis0.current_state\n");
        Assert.Equal("1\r", port.ReadLine());
        // Feedback in motor turns from the power-on zero (θ₀ = π), 30:1: (2 − π)·30/2π and −1.5·30/2π, printed as %f.
        rig.Plant.SetState(2.0, -1.5);
        port.Write("f 0\n");
        Assert.Equal("-5.450703 -7.161972\r", port.ReadLine());
        port.Write("x\n");
        Assert.Equal("unknown command\r", port.ReadLine());
        port.Write("c 2 1.0\n");
        Assert.Equal("invalid motor 2\r", port.ReadLine());
        port.BaseStream.Dispose();
    }

    [Fact]
    public void Round_trip_time_through_the_pty()
    {
        using var rig = new ODriveRig(clock: MonotonicClock.Instance);
        rig.Driver.Open();
        Span<double> readings = stackalloc double[2];
        for (var i = 0; i < 50; i++) rig.Driver.Read(readings); // warm up (JIT, SerialPort's I/O loop)

        const int exchanges = 500;
        var times = new double[exchanges];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < exchanges; i++)
        {
            var start = Stopwatch.GetTimestamp();
            rig.Driver.Read(readings);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Array.Sort(times);
        output.WriteLine($"feedback exchange ('f 0' → 'pos vel', checksummed) over a pty, {exchanges} exchanges: " +
                         $"p50 {times[exchanges / 2]:0.000} ms, p99 {times[exchanges * 99 / 100]:0.000} ms, max {times[^1]:0.000} ms; " +
                         $"{allocated / (double)exchanges:0} bytes allocated per exchange on the calling thread (SerialPort internals)");
        Assert.Equal(exchanges + 50, rig.Emulator.Counts.Feedback);
    }

}
