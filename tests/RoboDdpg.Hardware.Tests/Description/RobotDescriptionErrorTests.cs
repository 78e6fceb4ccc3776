using RoboDdpg.Hardware.Description;

namespace RoboDdpg.Hardware.Tests.Description;

/// <summary>
/// Each kind of mistake in a description file gives a one-line error naming the file, the exact line and what is
/// wrong. Cases are variations of a small valid description whose line layout is fixed (line numbers in comments).
/// </summary>
public sealed class RobotDescriptionErrorTests
{
    private const string File = "robot.json";

    private static readonly string[] ValidLines =
    [
        """{""",                                                                                                            // 1
        """  "name": "test-arm",""",                                                                                         // 2
        """  "control_rate_hz": 100,""",                                                                                     // 3
        """  "devices": {""",                                                                                                // 4
        """    "motor": { "type": "pca9685-dc-motor", "motor": 1 },""",                                                      // 5
        """    "encoder": { "type": "quadrature-encoder", "pin_a": 17, "pin_b": 27, "counts_per_revolution": 2048 },""",     // 6
        """  },""",                                                                                                          // 7
        """  "observation": [""",                                                                                            // 8
        """    { "name": "theta", "signal": "encoder.angle", "low": -4, "high": 4 },""",                                     // 9
        """  ],""",                                                                                                          // 10
        """  "action": [""",                                                                                                 // 11
        """    { "name": "duty", "command": "motor.duty", "low": -1, "high": 1 },""",                                        // 12
        """  ],""",                                                                                                          // 13
        """  "safe_action": [0],""",                                                                                         // 14
        """  "reward": [ { "signal": "encoder.angle", "wrap_angle": true, "weight": -1 } ],""",                              // 15
        """}""",                                                                                                             // 16
    ];

    /// <summary>The valid description with some lines replaced (1-based line → new text; "" keeps an empty line).</summary>
    private static string With(params (int Line, string Text)[] changes)
    {
        var lines = (string[])ValidLines.Clone();
        foreach (var (line, text) in changes) lines[line - 1] = text;
        return string.Join('\n', lines);
    }

    /// <summary>The valid description with a line inserted before the closing brace (it becomes line 16).</summary>
    private static string WithField(string text) => With((15, ValidLines[14] + "\n" + text));

    private static RobotDescriptionException Fails(string json) =>
        Assert.Throws<RobotDescriptionException>(() => RobotDescriptionLoader.Parse(json, File));

    private sealed record Case(string Json, int Line, params string[] Words);

    /// <summary>Every error kind: the JSON, the line the error must name and words its message must contain.</summary>
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["invalid JSON"] = new(With((9, """    { "name": "theta" "signal": "encoder.angle", "low": -4, "high": 4 },""")), 9, "invalid JSON"),
        ["empty file"] = new("  // nothing but a comment\n", 2, "invalid JSON", "does not contain any JSON tokens"),
        ["not an object"] = new("[1, 2]", 1, "expected a JSON object", "array"),
        ["duplicate key"] = new(With((3, """  "control_rate_hz": 100, "control_rate_hz": 50,""")), 3, "'control_rate_hz'", "twice", "line 3"),
        ["unknown root field"] = new(With((3, """  "control_rate": 100,""")), 3, "unknown field 'control_rate'", "accepted:", "control_rate_hz"),
        ["unknown observation field"] = new(With((9, """    { "name": "theta", "signal": "encoder.angle", "low": -4, "high": 4, "scal": 2 },""")), 9,
            "unknown field 'scal'", "observation[0]", "accepted:", "scale"),
        ["unknown faults field"] = new(WithField("""  "faults": { "retry": 1 },"""), 16, "unknown field 'retry'", "faults", "retries"),
        ["unknown device setting"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "adress": "0x60" },""")), 5,
            "device 'motor'", "pca9685-dc-motor", "unknown setting 'adress'", "accepted: type, bus, address, motor, pwm_frequency, invert"),
        ["missing root field"] = new(With((3, "")), 1, "missing field 'control_rate_hz'"),
        ["missing device type"] = new(With((5, """    "motor": { "motor": 1 },""")), 5, "device 'motor'", "missing field 'type'", "known types:", "odrive"),
        ["missing device setting"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor" },""")), 5, "device 'motor'", "missing setting 'motor'"),
        ["missing weight"] = new(With((15, """  "reward": [ { "signal": "encoder.angle" } ],""")), 15, "reward[0]", "missing field 'weight'"),
        ["wrong kind"] = new(With((3, """  "control_rate_hz": "100",""")), 3, "control_rate_hz must be a number, found a string"),
        ["wrong kind of setting"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "invert": "yes" },""")), 5,
            "devices.motor.invert must be true/false, found a string"),
        ["wrong kind of section"] = new(With((8, """  "observation": { "theta": 1 },"""), (9, ""), (10, "")), 8, "observation must be an array, found an object"),
        ["unknown device type"] = new(With((5, """    "motor": { "type": "pca9685", "motor": 1 },""")), 5,
            "unknown type 'pca9685'", "known types: pca9685-dc-motor, hbridge-dc-motor, quadrature-encoder, mpu6050, ads1115, odrive"),
        ["bad device name"] = new(With((5, """    "Motor 1": { "type": "pca9685-dc-motor", "motor": 1 },""")), 5, "device name 'Motor 1'", "a-z"),
        ["setting out of range"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 7 },""")), 5, "devices.motor.motor", "in [1, 4]", "got 7"),
        ["number setting out of range"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "pwm_frequency": 2000 },""")), 5,
            "devices.motor.pwm_frequency", "in [24, 1526]", "got 2000"),
        ["integer setting not integral"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1.5 },""")), 5, "devices.motor.motor must be an integer", "1.5"),
        ["setting not in choices"] = new(With((5, """    "drive": { "type": "odrive", "port": "/dev/ttyACM0", "mode": "current" },"""),
            (12, """    { "name": "duty", "command": "drive.torque", "low": -1, "high": 1 },""")), 5,
            "devices.drive.mode must be one of torque, velocity", "'current'"),
        ["setting fails its check"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1 }, "adc": { "type": "ads1115", "inputs": "a0,a7" },""")), 5,
            "devices.adc.inputs", "a0, a1, a2, a3", "'a0,a7'"),
        ["I2C address out of range"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "address": "0x78" },""")), 5,
            "devices.motor.address", "0x03..0x77", "0x78"),
        ["I2C address not hex"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "address": "60" },""")), 5,
            "devices.motor.address", "\"0x..\"", "'60'"),
        ["I2C address wrong kind"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "address": true },""")), 5,
            "devices.motor.address", "found true/false"),
        ["duplicate I2C address"] = new(With((6,
            """    "motor2": { "type": "pca9685-dc-motor", "motor": 2, "address": 96 }, "encoder": { "type": "quadrature-encoder", "pin_a": 17, "pin_b": 27, "counts_per_revolution": 2048 },""")), 6,
            "device 'motor2'", "I2C address 0x60 on bus 1", "device 'motor'", "line 5"),
        ["duplicate GPIO pin across devices"] = new(With((6,
            """    "encoder": { "type": "quadrature-encoder", "pin_a": 17, "pin_b": 27, "counts_per_revolution": 2048 }, "bridge": { "type": "hbridge-dc-motor", "pwm_channel": 0, "in1_pin": 5, "in2_pin": 27 },""")), 6,
            "devices.bridge.in2_pin", "GPIO 27", "devices.encoder.pin_b", "line 6"),
        ["duplicate GPIO pin within a device"] = new(With((6, """    "encoder": { "type": "quadrature-encoder", "pin_a": 17, "pin_b": 17, "counts_per_revolution": 2048 },""")), 6,
            "devices.encoder.pin_b", "GPIO 17", "devices.encoder.pin_a"),
        ["duplicate serial port"] = new(With((5,
            """    "motor": { "type": "pca9685-dc-motor", "motor": 1 }, "a": { "type": "odrive", "port": "/dev/ttyACM0" }, "b": { "type": "odrive", "port": "ttyACM0", "axis": 1 },""")), 5,
            "device 'b'", "serial port ttyACM0", "device 'a'"),
        ["signal not device.channel"] = new(With((9, """    { "name": "theta", "signal": "encoder", "low": -4, "high": 4 },""")), 9,
            "observation[0].signal", "\"device.channel\"", "'encoder'"),
        ["quoted value with a line break"] = new(With((9, """    { "name": "theta", "signal": "enc\r\noder.angle", "low": -4, "high": 4 },""")), 9,
            "'enc oder.angle' names no device 'enc oder'"),
        ["signal names unknown device"] = new(With((9, """    { "name": "theta", "signal": "enc.angle", "low": -4, "high": 4 },""")), 9,
            "'enc.angle'", "no device 'enc'", "devices: motor, encoder"),
        ["signal names unknown channel"] = new(With((9, """    { "name": "theta", "signal": "encoder.position", "low": -4, "high": 4 },""")), 9,
            "device 'encoder' (quadrature-encoder) has no input 'position'", "inputs: angle, velocity"),
        ["channel absent for these settings"] = new(With((5, """    "motor": { "type": "pca9685-dc-motor", "motor": 1 }, "adc": { "type": "ads1115", "inputs": "a0" },"""),
            (15, """  "reward": [ { "signal": "adc.a1", "weight": -1 } ],""")), 15, "reward[0].signal 'adc.a1'", "no input 'a1'", "inputs: a0"),
        ["observation reads an output"] = new(With((9, """    { "name": "theta", "signal": "motor.duty", "low": -4, "high": 4 },""")), 9,
            "'motor.duty' is an output of device 'motor'", "read inputs", "'motor' has none"),
        ["action commands an input"] = new(With((12, """    { "name": "duty", "command": "encoder.angle", "low": -1, "high": 1 },""")), 12,
            "'encoder.angle' is an input of device 'encoder'", "actions command outputs", "'encoder' has none"),
        ["two actions drive one output"] = new(With((12,
            """    { "name": "duty", "command": "motor.duty", "low": -1, "high": 1 }, { "name": "duty2", "command": "motor.duty", "low": -1, "high": 1 },"""),
            (14, """  "safe_action": [0, 0],""")), 12, "action 'duty2'", "'motor.duty' is already driven by action 'duty'"),
        ["duplicate entry name"] = new(With((9,
            """    { "name": "theta", "signal": "encoder.angle", "low": -4, "high": 4 }, { "name": "theta", "signal": "encoder.velocity", "low": -4, "high": 4 },""")), 9,
            "observation[1].name", "already an observation entry named 'theta'"),
        ["missing bound"] = new(With((9, """    { "name": "theta", "signal": "encoder.angle", "low": -4 },""")), 9,
            "observation[0]", "missing field 'high'", "bounds"),
        ["non-finite bound"] = new(With((12, """    { "name": "duty", "command": "motor.duty", "low": -1e999, "high": 1 },""")), 12,
            "action[0].low must be a finite number", "-1e999"),
        ["bound beyond float range"] = new(With((9, """    { "name": "theta", "signal": "encoder.angle", "low": -4, "high": 1e300 },""")), 9,
            "observation[0].high", "single-precision"),
        ["low not below high"] = new(With((9, """    { "name": "theta", "signal": "encoder.angle", "low": 4, "high": 4 },""")), 9,
            "observation 'theta'", "low (4) must be below high (4)"),
        ["zero scale"] = new(With((12, """    { "name": "duty", "command": "motor.duty", "low": -1, "high": 1, "scale": 0 },""")), 12, "action[0].scale must not be 0"),
        ["command limits reversed"] = new(With((12, """    { "name": "duty", "command": "motor.duty", "low": -1, "high": 1, "command_min": 1, "command_max": 0.5 },""")), 12,
            "command_min (1) must be below command_max (0.5)"),
        ["safe action length"] = new(With((14, """  "safe_action": [0, 0],""")), 14, "safe_action has 2 value(s)", "1 action entries"),
        ["safe action outside bounds"] = new(With((14, """  "safe_action": [1.5],""")), 14, "safe_action[0] = 1.5", "outside", "'duty'", "[-1, 1]"),
        ["control rate zero"] = new(With((3, """  "control_rate_hz": 0,""")), 3, "control_rate_hz must be in (0, 10000]", "got 0"),
        ["control rate too high"] = new(With((3, """  "control_rate_hz": 10001,""")), 3, "control_rate_hz must be in (0, 10000]", "got 10001"),
        ["empty observation"] = new(With((8, """  "observation": ["""), (9, "")), 8, "observation must have at least one entry"),
        ["empty action"] = new(With((12, ""), (14, """  "safe_action": [],""")), 11, "action must have at least one entry"),
        ["empty devices"] = new(With((4, """  "devices": {"""), (5, ""), (6, "")), 4, "devices must name at least one device"),
        ["observation with signal and action"] = new(With((9, """    { "name": "theta", "signal": "encoder.angle", "action": "duty", "low": -4, "high": 4 },""")), 9,
            "observation[0]", "either 'signal' or 'action', not both"),
        ["observation with neither signal nor action"] = new(With((9, """    { "name": "theta", "low": -4, "high": 4 },""")), 9, "observation[0]", "needs 'signal'", "or 'action'"),
        ["observation of an unknown action"] = new(With((9, """    { "name": "last", "action": "torque", "low": -1, "high": 1 },""")), 9,
            "observation 'last'", "action 'torque' names no action entry", "actions: duty"),
        ["reward with signal and action"] = new(With((15, """  "reward": [ { "signal": "encoder.angle", "action": "duty", "weight": -1 } ],""")), 15,
            "reward[0]", "either 'signal' or 'action', not both"),
        ["reward with neither signal nor action"] = new(With((15, """  "reward": [ { "weight": -1 } ],""")), 15, "reward[0]", "needs 'signal'", "or 'action'"),
        ["reward unknown action"] = new(With((15, """  "reward": [ { "action": "torque", "weight": -1 } ],""")), 15,
            "reward[0].action 'torque' names no action entry", "actions: duty"),
        ["reward wraps an action"] = new(With((15, """  "reward": [ { "action": "duty", "wrap_angle": true, "weight": -1 } ],""")), 15, "wrap_angle applies to signals"),
        ["termination without limits"] = new(WithField("""  "termination": [ { "signal": "encoder.velocity" } ],"""), 16,
            "termination[0]", "needs 'below' and/or 'above'"),
        ["termination limits reversed"] = new(WithField("""  "termination": [ { "signal": "encoder.velocity", "below": 5, "above": -5 } ],"""), 16,
            "termination[0]", "below (5) must be less than above (-5)"),
        ["fault retries over budget"] = new(WithField("""  "faults": { "retries": 10, "retry_delay_us": 1000 },"""), 16,
            "faults", "11 attempt(s) x 100 us", "10 retry delay(s) x 1000 us = 11100 us", "10000 us control period", "control_rate_hz 100"),
        ["default faults over budget at a high rate"] = new(With((3, """  "control_rate_hz": 5000,""")), 3,
            "faults", "500 us", "200 us control period", "control_rate_hz 5000"),
        ["negative fault value"] = new(WithField("""  "faults": { "retries": -1 },"""), 16, "faults.retries must be an integer in [0, 100]", "got -1"),
        ["negative fault seconds"] = new(WithField("""  "faults": { "break_seconds": -0.5 },"""), 16, "faults.break_seconds must be >= 0", "-0.5"),
        ["empty twin name"] = new(WithField("""  "emulation": { "twin": " " },"""), 16, "emulation.twin must not be empty"),
        ["missing twin name"] = new(WithField("""  "emulation": { "parameters": "p.json" },"""), 16, "emulation: missing field 'twin'"),
        ["parameters file missing"] = new(WithField("""  "emulation": { "twin": "motor-pendulum", "parameters": "no-such-parameters.json" },"""), 16,
            "emulation.parameters", "'no-such-parameters.json' not found", "looked for"),
        ["negative settle time"] = new(WithField("""  "settle_seconds": -1,"""), 16, "settle_seconds must be in [0, 3600]", "got -1"),
        ["max episode steps zero"] = new(WithField("""  "max_episode_steps": 0,"""), 16, "max_episode_steps must be an integer in [1, 2147483647]", "got 0"),
        ["bad transform"] = new(With((9, """    { "name": "theta", "signal": "encoder.angle", "transform": "tan", "low": -4, "high": 4 },""")), 9,
            "observation[0].transform must be one of none, cos, sin", "'tan'"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Fact]
    public void The_valid_base_description_loads()
    {
        var robot = RobotDescriptionLoader.Parse(With(), File);

        Assert.Equal(("test-arm", 100.0, (int?)null), (robot.Name, robot.ControlRateHz, robot.MaxEpisodeSteps));
        Assert.Equal(0x60, robot.Devices[0].Settings.GetInt("address")); // default filled
        Assert.Equal(new FaultPolicy(), robot.Faults);
        Assert.Null(robot.Emulation);
        Assert.Empty(robot.Termination);
        Assert.Equal(9, robot.Observation[0].Location.Line);
        Assert.Equal(5, robot.Devices[0].Location.Line);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Each_error_kind_names_the_line_and_what_is_wrong(string name)
    {
        var c = Cases[name];
        var e = Fails(c.Json);

        Assert.Equal(File, e.File);
        Assert.Equal(c.Line, e.Line);
        Assert.StartsWith($"{File}:{c.Line}: ", e.Message, StringComparison.Ordinal);
        foreach (var word in c.Words) Assert.Contains(word, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_message_is_one_line()
    {
        Assert.True(Cases.Count >= 50, "the case list should cover every error kind");
        foreach (var (name, c) in Cases)
        {
            var message = Fails(c.Json).Message;
            Assert.False(message.Contains('\n', StringComparison.Ordinal) || message.Contains('\r', StringComparison.Ordinal),
                $"{name}: {message}");
        }
    }

    [Fact]
    public void Highest_control_rate_loads_when_one_attempt_fits_the_tick()
    {
        // 10 kHz: a 100 us period holds exactly one 100 us attempt, so no retries.
        var robot = RobotDescriptionLoader.Parse(With((3, """  "control_rate_hz": 10000,"""), (15, ValidLines[14] + """ "faults": { "retries": 0 },""")), File);

        Assert.Equal((10000.0, 0, 100), (robot.ControlRateHz, robot.Faults.Retries, robot.Faults.WorstCaseIoMicroseconds));
    }

    [Fact]
    public void I2c_address_may_be_a_number_or_a_hex_string_and_bus_separates_addresses()
    {
        var robot = RobotDescriptionLoader.Parse(With((5,
            """    "motor": { "type": "pca9685-dc-motor", "motor": 1, "address": 96 }, "motor2": { "type": "pca9685-dc-motor", "bus": 0, "motor": 2, "address": "0x60" }, "imu": { "type": "mpu6050", "address": "0X69" },""")), File);

        Assert.Equal([0x60, 0x60, 0x69], robot.Devices.Take(3).Select(d => d.Settings.GetInt("address")));
        Assert.Equal([1, 0, 1], robot.Devices.Take(3).Select(d => d.Settings.GetInt("bus")));
    }

    [Fact]
    public void Emulation_parameters_resolve_relative_to_the_description_folder()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "params"));
        var parameters = dir.Write("params/arm.json", "{}");
        var robotPath = dir.Write("robot.json", WithField("""  "emulation": { "twin": "motor-pendulum", "parameters": "params/arm.json" },"""));

        var emulation = RobotDescriptionLoader.Load(robotPath).Emulation!;

        Assert.Equal(("motor-pendulum", Path.GetFullPath(parameters)), (emulation.Twin, emulation.ParametersFile));
        Assert.Equal(16, emulation.Location.Line);
    }

    [Fact]
    public void Missing_file_is_reported_without_a_line()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "absent.json");

        var e = Assert.Throws<RobotDescriptionException>(() => RobotDescriptionLoader.Load(path));

        Assert.Null(e.Line);
        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Fact]
    public void Line_numbers_count_comments_and_crlf_line_ends()
    {
        var json = "// header\r\n/* block\r\n comment */\r\n" + With((9, """    { "name": "theta", "signal": "encoder.angle", "low": -4, "high": "4" },""")).Replace("\n", "\r\n", StringComparison.Ordinal);

        var e = Fails(json);

        Assert.Equal(3 + 9, e.Line);
        Assert.Contains("observation[0].high must be a number, found a string", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_are_read_as_written()
    {
        var robot = RobotDescriptionLoader.Parse(With(
            (9, """    { "name": "theta", "signal": "encoder.angle", "transform": "sin", "scale": -1, "offset": 3.14159, "low": -1, "high": 1, "max_age_ticks": 0 },"""),
            (12, """    { "name": "duty", "command": "motor.duty", "low": 0, "high": 2, "scale": -0.5, "offset": 0.25 },"""),
            (14, """  "safe_action": [1],""")), File);

        var o = robot.Observation[0];
        Assert.Equal((SignalTransform.Sin, -1.0, 3.14159, 0), (o.Transform, o.Scale, o.Offset, o.MaxAgeTicks));
        var a = robot.Action[0];
        // default command limits: the mapped range 0·(−0.5)+0.25 = 0.25 and 2·(−0.5)+0.25 = −0.75, in order
        Assert.Equal((-0.75, 0.25), (a.CommandMin, a.CommandMax));
        Assert.Equal([1f], robot.SafeAction);
    }
}
