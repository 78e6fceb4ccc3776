using System.Text;
using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

/// <summary><c>roboddpg hil --emulate</c>: the reference robot on emulated devices, with scheduled faults.</summary>
[Trait("Category", "HIL")]
public sealed class HilCommandTests
{
    private static readonly string Hat = RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");

    /// <summary>The HAT robot with <paramref name="faults"/> (JSON array) scheduled and a faster give-up, next to its twin parameters.</summary>
    internal static string Robot(TempDirectory dir, string faults, double giveUpSeconds = 5)
    {
        File.Copy(RepositoryFile.Locate("hardware/robots/motor-pendulum.json"), Path.Combine(dir.Path, "motor-pendulum.json"));
        var json = File.ReadAllText(Hat)
            .Replace("\"emulation\": { \"twin\": \"motor-pendulum\", \"parameters\": \"motor-pendulum.json\" }",
                $"\"emulation\": {{ \"twin\": \"motor-pendulum\", \"parameters\": \"motor-pendulum.json\", \"faults\": {faults} }}")
            .Replace("\"give_up_after_seconds\": 5 }", $"\"give_up_after_seconds\": {giveUpSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} }}")
            .Replace("\"settle_seconds\": 10,", "\"settle_seconds\": 0,");
        Assert.Contains("\"faults\": [", json);
        Assert.Contains("\"settle_seconds\": 0,", json);
        var path = Path.Combine(dir.Path, "robot.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Transitions in an online checkpoint, from its JSON header (magic, version, length, JSON).</summary>
    private static long CheckpointTransitions(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = BitConverter.ToInt32(bytes, 12);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 16, length));
        return header.RootElement.GetProperty("EnvSteps").GetInt64();
    }

    [Fact]
    public void A_transient_motor_fault_is_survived_with_the_safe_action_and_every_transition_is_saved()
    {
        using var dir = new TempDirectory();
        var robot = Robot(dir, """[ { "device": "motor", "fault": "nack", "at_seconds": 1.5, "for_seconds": 0.5 } ]""");
        var run = Path.Combine(dir.Path, "run");
        var result = Cli.Run("hil", "--robot", robot, "--emulate", "--learn", "--warmup", "100", "--seconds", "4", "--out", run, "--no-progress");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("emulated faults: 1 injected, 1 cleared", result.Stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var r = json.RootElement;
        Assert.Equal(1, r.GetProperty("faults_injected").GetInt32());
        Assert.True(r.GetProperty("safe_action_ticks").GetInt64() > 0);
        Assert.True(r.GetProperty("stale_ticks").GetInt64() > 0);
        var motor = r.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "motor");
        Assert.True(motor.GetProperty("failed").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("device_fault").ValueKind);
        Assert.True(r.GetProperty("io_write_us_p50").GetDouble() > 0);
        Assert.Equal(r.GetProperty("transitions").GetInt64(), CheckpointTransitions(Path.Combine(run, "checkpoint.rdckpt")));
    }

    [Fact]
    public void A_device_that_stays_broken_stops_the_run_in_the_safe_action_with_exit_3_and_everything_saved()
    {
        using var dir = new TempDirectory();
        var robot = Robot(dir, """[ { "device": "motor", "fault": "nack", "at_seconds": 1.0, "for_seconds": 100 } ]""", giveUpSeconds: 0.5);
        var run = Path.Combine(dir.Path, "run");
        var result = Cli.Run("hil", "--robot", robot, "--emulate", "--learn", "--warmup", "100", "--seconds", "30", "--out", run, "--no-progress");
        Assert.Equal(3, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("stopped by a device fault: device 'motor' has failed", line);
        Assert.Contains("safe action written", line);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        Assert.Contains("motor", json.RootElement.GetProperty("device_fault").GetString());
        Assert.True(json.RootElement.GetProperty("wall_seconds").GetDouble() < 20); // stopped by the fault, not the clock
        Assert.Equal(json.RootElement.GetProperty("transitions").GetInt64(), CheckpointTransitions(Path.Combine(run, "checkpoint.rdckpt")));
        Assert.True(File.Exists(Path.Combine(run, "policy.rdpolicy")));
    }

    [Theory]
    [InlineData("""{ "device": "nope", "fault": "nack", "at_seconds": 1, "for_seconds": 1 }""", "names no device")]
    [InlineData("""{ "device": "motor", "fault": "melt", "at_seconds": 1, "for_seconds": 1 }""", "fault must be one of")]
    [InlineData("""{ "device": "motor", "fault": "latency", "at_seconds": 1, "for_seconds": 1 }""", "needs latency_ms > 0")]
    [InlineData("""{ "device": "encoder", "fault": "nack", "at_seconds": 1, "for_seconds": 1 }""", "does not apply to device 'encoder'")]
    public void A_bad_fault_schedule_is_one_line_and_exit_2(string fault, string expected)
    {
        using var dir = new TempDirectory();
        var result = Cli.Run("hil", "--robot", Robot(dir, $"[ {fault} ]"), "--emulate", "--learn", "--seconds", "1", "--out", Path.Combine(dir.Path, "run"));
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains(expected, line);
    }

    [Fact]
    public void Without_emulate_an_absent_bus_is_one_line_and_exit_2()
    {
        var result = Cli.Run("hil", "--robot", Hat, "--learn", "--seconds", "1");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("I2C bus 1 is absent", line);
    }
}

/// <summary><c>hil --record-trace</c>: a robot's run in its twin's trace shape, read back by twin-check.</summary>
[Trait("Category", "HIL")]
public sealed class HilTraceTests
{
    [Fact]
    public void An_emulated_robot_run_records_a_trace_that_twin_check_replays_on_the_twin()
    {
        using var dir = new TempDirectory();
        var trained = Path.Combine(dir.Path, "trained");
        var train = Cli.Run("train", "--env", "motor-pendulum", "--steps", "300", "--warmup", "100", "--hidden", "16,16", "--batch-size", "32",
            "--eval-interval", "0", "--eval-episodes", "1", "--out", trained, "--no-progress");
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);

        var trace = Path.Combine(dir.Path, "robot-trace.csv");
        var run = Path.Combine(dir.Path, "run");
        var result = Cli.Run("hil", "--robot", RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json"), "--emulate",
            "--policy", Path.Combine(trained, "policy.rdpolicy"), "--seconds", "3", "--record-trace", trace, "--out", run, "--no-progress");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

        var lines = File.ReadAllLines(trace);
        Assert.Equal("case,step,th0,thdot0,i0,action,cos,sin,thdot,reward", lines[0]);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var ticks = json.RootElement.GetProperty("ticks").GetInt64();
        // One row per tick that completed a transition after the case began (the first fresh reading after the
        // reset, tick 2), less the stale ones.
        var stale = json.RootElement.GetProperty("stale_ticks").GetInt64();
        Assert.InRange(lines.Length - 1, ticks - 2 - 2 * stale, ticks - 2);

        // The twin replays each case from the robot's measured start state with the robot's actions; the encoder's
        // quantization (2π/2048) and the unmeasured current keep it from matching exactly, but not by much.
        var check = Cli.Run("twin-check", "--env", "motor-pendulum", "--trace", trace, "--tolerance", "0.5");
        Assert.True(check.ExitCode is 0 or 1, check.Stderr);
        Assert.Contains("\"cases\":", check.Stdout);
    }
}
