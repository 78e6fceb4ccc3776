using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.Description;

/// <summary>The shipped example descriptions load with the values they state, defaults filled in.</summary>
public sealed class RobotDescriptionExamplesTests
{
    private static readonly string HatPath = RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");
    private static readonly string OdrivePath = RepositoryFile.Locate("hardware/robots/pendulum-arm-odrive.json");

    [Fact]
    public void Hat_example_loads_with_the_stated_values_and_defaults()
    {
        var robot = RobotDescriptionLoader.Load(HatPath);

        Assert.Equal("pendulum-arm-hat", robot.Name);
        Assert.Equal(HatPath, robot.SourceFile);
        Assert.Equal(100.0, robot.ControlRateHz);
        Assert.Equal(0.01, robot.ControlPeriodSeconds, 15);
        Assert.Equal(500, robot.MaxEpisodeSteps);
        Assert.Equal(1000, robot.SettleTicks); // 10 s at 100 Hz

        Assert.Equal(["motor", "encoder"], robot.Devices.Select(d => d.Name));
        var motor = robot.Devices[0];
        Assert.Equal("pca9685-dc-motor", motor.Type);
        Assert.Equal(1, motor.Settings.GetInt("bus"));
        Assert.Equal(0x60, motor.Settings.GetInt("address"));
        Assert.Equal(1, motor.Settings.GetInt("motor"));
        Assert.Equal(1526.0, motor.Settings.GetDouble("pwm_frequency")); // default: the PCA9685's highest
        Assert.False(motor.Settings.GetBool("invert")); // default
        Assert.Equal(new SourceLocation(HatPath, 11), motor.Location);

        var encoder = robot.Devices[1];
        Assert.Equal(17, encoder.Settings.GetInt("pin_a"));
        Assert.Equal(27, encoder.Settings.GetInt("pin_b"));
        Assert.Equal(2048, encoder.Settings.GetInt("counts_per_revolution"));
        Assert.Equal(Math.PI, encoder.Settings.GetDouble("zero_offset"));
        Assert.False(encoder.Settings.GetBool("invert"));

        Assert.Equal(["cos_theta", "sin_theta", "theta_dot"], robot.Observation.Select(o => o.Name));
        Assert.Equal([SignalTransform.Cos, SignalTransform.Sin, SignalTransform.None], robot.Observation.Select(o => o.Transform));
        var thetaDot = robot.Observation[2];
        Assert.Equal(new SignalRef("encoder", "velocity"), thetaDot.Signal);
        Assert.Equal((-40f, 40f), (thetaDot.Low, thetaDot.High));
        Assert.Equal((1.0, 0.0), (thetaDot.Scale, thetaDot.Offset)); // defaults
        Assert.Equal(RobotDescriptionLoader.DefaultMaxAgeTicks, thetaDot.MaxAgeTicks);
        Assert.Equal(21, thetaDot.Location.Line);

        var duty = Assert.Single(robot.Action);
        Assert.Equal(("duty", new SignalRef("motor", "duty")), (duty.Name, duty.Command));
        Assert.Equal((-1f, 1f, 1.0, 0.0), (duty.Low, duty.High, duty.Scale, duty.Offset));
        // command limits default to what the action bounds map to
        Assert.Equal((-1.0, 1.0), (duty.CommandMin, duty.CommandMax));
        Assert.Equal([0f], robot.SafeAction);

        Assert.Equal(3, robot.Reward.Count);
        Assert.Equal((new SignalRef("encoder", "angle"), (string?)null, 0.0, -1.0, true),
            (robot.Reward[0].Signal, robot.Reward[0].Action, robot.Reward[0].Target, robot.Reward[0].Weight, robot.Reward[0].WrapAngle));
        Assert.Equal((-0.1, false), (robot.Reward[1].Weight, robot.Reward[1].WrapAngle));
        Assert.Equal(("duty", (SignalRef?)null, -0.001), (robot.Reward[2].Action, robot.Reward[2].Signal, robot.Reward[2].Weight));
        Assert.Empty(robot.Termination);

        Assert.Equal(new FaultPolicy(2, 100, 5, 0.5, 3, 5.0), robot.Faults);
        Assert.Equal("motor-pendulum", robot.Emulation!.Twin);
        Assert.Equal(Path.Combine(Path.GetDirectoryName(HatPath)!, "motor-pendulum.json"), robot.Emulation.ParametersFile);
    }

    [Fact]
    public void Hat_example_with_its_optional_adc_uncommented_loads()
    {
        // The commented ADS1115 lines must stay valid for users who fit one.
        var lines = File.ReadAllLines(HatPath);
        var optional = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains("optional ADS1115 begin", StringComparison.Ordinal)) optional = true;
            else if (lines[i].Contains("optional ADS1115 end", StringComparison.Ordinal)) optional = false;
            else if (optional) lines[i] = lines[i].Replace("// ", "", StringComparison.Ordinal);
        }
        var robot = RobotDescriptionLoader.Parse(string.Join('\n', lines), HatPath);

        var adc = robot.Devices.Single(d => d.Name == "adc");
        Assert.Equal(("ads1115", 0x48, "a0", 4.096, 860),
            (adc.Type, adc.Settings.GetInt("address"), adc.Settings.GetString("inputs"), adc.Settings.GetDouble("range_volts"),
             adc.Settings.GetInt("samples_per_second")));
        var stop = Assert.Single(robot.Termination);
        Assert.Equal((new SignalRef("adc", "a0"), (double?)null, (double?)3.5), (stop.Signal, stop.Below, stop.Above));
    }

    [Fact]
    public void Odrive_example_loads_with_the_stated_values()
    {
        var robot = RobotDescriptionLoader.Load(OdrivePath);

        Assert.Equal("pendulum-arm-odrive", robot.Name);
        var drive = Assert.Single(robot.Devices);
        Assert.Equal(("odrive", "/dev/ttyACM0", 0, "torque", true), (drive.Type, drive.Settings.GetString("port"),
            drive.Settings.GetInt("axis"), drive.Settings.GetString("mode"), drive.Settings.GetBool("checksum")));
        Assert.Equal(115200, drive.Settings.GetInt("baud")); // default
        Assert.Equal((20.0, 1.0), (drive.Settings.GetDouble("timeout_ms"), drive.Settings.GetDouble("gear_ratio")));

        Assert.All(robot.Observation.Take(2), o => Assert.Equal((new SignalRef("drive", "position"), Math.PI), (o.Signal, o.Offset)));
        var torque = Assert.Single(robot.Action);
        Assert.Equal((new SignalRef("drive", "torque"), 3.6, -3.6, 3.6), (torque.Command, torque.Scale, torque.CommandMin, torque.CommandMax));
        Assert.Equal((-Math.PI, true), (robot.Reward[0].Target, robot.Reward[0].WrapAngle));
        Assert.Equal(new FaultPolicy(1, 0, 5, 0.5, 3, 5.0), robot.Faults);
    }

    [Theory]
    [InlineData("hardware/robots/pendulum-arm-hat.json")]
    [InlineData("hardware/robots/pendulum-arm-odrive.json")]
    public void Examples_match_the_motor_pendulum_twin_layout(string example)
    {
        var robot = RobotDescriptionLoader.Load(RepositoryFile.Locate(example));
        var twin = new MotorPendulumEnvironment(new MotorPendulumParameters()).Spec;

        Assert.Equal(twin.Observation.Names, robot.Observation.Select(o => o.Name));
        Assert.Equal(twin.Observation.Low.ToArray(), robot.Observation.Select(o => o.Low));
        Assert.Equal(twin.Observation.High.ToArray(), robot.Observation.Select(o => o.High));
        Assert.Equal(twin.Action.Names, robot.Action.Select(a => a.Name));
        Assert.Equal(twin.Action.Low.ToArray(), robot.Action.Select(a => a.Low));
        Assert.Equal(twin.Action.High.ToArray(), robot.Action.Select(a => a.High));
        Assert.Equal(twin.SafeAction, robot.SafeAction);
        Assert.Equal(twin.ControlPeriodSeconds, robot.ControlPeriodSeconds, 12);
        Assert.Equal(twin.MaxEpisodeSteps, robot.MaxEpisodeSteps);
        // The emulation runs the twin's own arm (the file the examples point to is the twin's defaults).
        Assert.Equal(new MotorPendulumParameters(), MotorPendulumParameters.Load(robot.Emulation!.ParametersFile!));
    }

    [Fact]
    public void Odrive_torque_range_is_the_twin_stall_torque()
    {
        var p = new MotorPendulumParameters();
        var stallTorque = p.GearRatio * p.TorqueConstant * p.StallCurrent; // 30 · 0.02 · 6 = 3.6 N·m
        var torque = RobotDescriptionLoader.Load(OdrivePath).Action[0];

        Assert.Equal(stallTorque, torque.High * torque.Scale + torque.Offset, 12);
        Assert.Equal(-stallTorque, torque.Low * torque.Scale + torque.Offset, 12);
        Assert.Equal(-stallTorque, torque.CommandMin, 12);
        Assert.Equal(stallTorque, torque.CommandMax, 12);
    }

    [Fact]
    public void Every_example_signal_is_a_channel_of_its_device()
    {
        foreach (var path in new[] { HatPath, OdrivePath })
        {
            var robot = RobotDescriptionLoader.Load(path);
            foreach (var o in robot.Observation)
            {
                if (o.Signal is not { } signal)
                {
                    Assert.Contains(o.Action, robot.Action.Select(a => a.Name));
                    continue;
                }
                var device = robot.Devices.Single(d => d.Name == signal.Device);
                Assert.Contains(signal.Channel, DeviceCatalog.Types[device.Type].Inputs(device.Settings));
            }
            foreach (var a in robot.Action)
            {
                var device = robot.Devices.Single(d => d.Name == a.Command.Device);
                Assert.Contains(a.Command.Channel, DeviceCatalog.Types[device.Type].Outputs(device.Settings));
            }
        }
    }

    [Fact]
    public void Readme_example_loads()
    {
        var readme = File.ReadAllText(RepositoryFile.Locate("hardware/README.md"));
        var start = readme.IndexOf("```jsonc", readme.IndexOf("## Robot description files", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(start >= 0, "hardware/README.md has no jsonc example under 'Robot description files'");
        start = readme.IndexOf('\n', start) + 1;
        var json = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        // Parsed as if it sat beside the examples, where its parameter file is.
        var robot = RobotDescriptionLoader.Parse(json, HatPath);

        Assert.Equal(("pendulum-arm-hat", 3, 1, 3), (robot.Name, robot.Observation.Count, robot.Action.Count, robot.Reward.Count));
    }
}
