using System.Globalization;
using System.Text.Json;

namespace RoboDdpg.Robot.Tests;

/// <summary>roboddpg-robot's commands: policies run without TorchSharp, bad input is one line, SIGTERM stops safely.</summary>
public sealed class RobotCommandTests
{
    private static readonly string Hat = RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");

    [Fact]
    public void Policy_check_writes_the_hand_computed_actions_and_compares_with_another_build()
    {
        using var dir = new TempDirectory();
        var policy = RobotCli.WritePolicy(dir.Path, [0.5f, -0.25f, 0.1f], 0.2f);
        var observations = Path.Combine(dir.Path, "observations.csv");
        File.WriteAllText(observations, "cos_theta,sin_theta,theta_dot\n1,0,0\n0,1,2\n-1,0.5,-3\n");
        var actions = Path.Combine(dir.Path, "actions.csv");

        var result = RobotCli.Run("policy-check", "--policy", policy, "--observations", observations, "--out", actions);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = File.ReadAllLines(actions);
        Assert.Equal("duty", lines[0]);
        // duty = tanh(0.5·cos − 0.25·sin + 0.1·θ̇ + 0.2): pre-activations 0.7, 0.15, −0.725.
        double[] expected = [Math.Tanh(0.7), Math.Tanh(0.15), Math.Tanh(-0.725)];
        Assert.Equal(4, lines.Length);
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], double.Parse(lines[i + 1], CultureInfo.InvariantCulture), 1e-6);

        // The same actions from "another build" agree exactly; a copy off by 1e-3 in one row fails the 1e-5 tolerance.
        var same = RobotCli.Run("policy-check", "--policy", policy, "--observations", observations, "--out", Path.Combine(dir.Path, "again.csv"), "--expect", actions);
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Equal(0, JsonDocument.Parse(same.Stdout).RootElement.GetProperty("max_abs_difference").GetDouble());
        var off = Path.Combine(dir.Path, "off.csv");
        File.WriteAllText(off, $"duty\n{lines[1]}\n{(double.Parse(lines[2], CultureInfo.InvariantCulture) + 1e-3).ToString("R", CultureInfo.InvariantCulture)}\n{lines[3]}\n");
        var differs = RobotCli.Run("policy-check", "--policy", policy, "--observations", observations, "--out", Path.Combine(dir.Path, "third.csv"), "--expect", off);
        Assert.Equal(1, differs.ExitCode);
        Assert.Equal(1e-3, JsonDocument.Parse(differs.Stdout).RootElement.GetProperty("max_abs_difference").GetDouble(), 1e-6);
    }

    [Fact]
    public void Bad_observations_are_one_line_naming_file_and_line()
    {
        using var dir = new TempDirectory();
        var policy = RobotCli.WritePolicy(dir.Path, [0.5f, -0.25f, 0.1f], 0.2f);
        var observations = Path.Combine(dir.Path, "observations.csv");
        File.WriteAllText(observations, "cos_theta,sin_theta,theta_dot\n1,0,0\n1,zero,0\n");
        var result = RobotCli.Run("policy-check", "--policy", policy, "--observations", observations, "--out", Path.Combine(dir.Path, "a.csv"));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"roboddpg-robot: {observations}:3: 'zero' is not a finite number", result.Stderr.Trim());
    }

    [Fact]
    public void The_robot_build_runs_saved_policies_only()
    {
        var noPolicy = RobotCli.Run("hil", "--robot", Hat, "--emulate", "--seconds", "1");
        Assert.Equal(2, noPolicy.ExitCode);
        Assert.StartsWith("roboddpg-robot: hil needs --policy FILE", noPolicy.Stderr);
        var learn = RobotCli.Run("hil", "--robot", Hat, "--emulate", "--learn");
        Assert.Equal(2, learn.ExitCode);
        Assert.Contains("--learn", learn.Stderr);
        Assert.Single(learn.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Eval_runs_a_policy_file_on_the_twin()
    {
        using var dir = new TempDirectory();
        // duty = tanh(0): the arm is never driven, the return is the same in every run.
        var policy = RobotCli.WritePolicy(dir.Path, [0f, 0f, 0f], 0f);
        var result = RobotCli.Run("eval", "--policy", policy, "--env", "motor-pendulum", "--episodes", "2", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(2, json.GetProperty("episodes").GetInt32());
        Assert.True(json.GetProperty("mean_return").GetDouble() < 0); // −(θ² + 0.1·θ̇²) summed: negative unless upright
    }

    [Fact]
    [Trait("Category", "HIL")]
    public void Sigterm_stops_hil_with_the_safe_action_written_and_every_tick_accounted_for()
    {
        using var dir = new TempDirectory();
        // A constant duty of 0.5 (tanh(atanh 0.5)): while running, the emulated motor sees 0.5 × the supply voltage.
        var policy = RobotCli.WritePolicy(dir.Path, [0f, 0f, 0f], (float)Math.Atanh(0.5));
        var run = Path.Combine(dir.Path, "run");
        using var process = RobotCli.Start("hil", "--robot", Hat, "--emulate", "--policy", policy, "--out", run, "--no-progress");
        RobotCli.WaitForLine(process, "roboddpg hil");
        Thread.Sleep(1500); // well inside the first 500-tick (5 s) episode
        RobotCli.Signal(process, "TERM");
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "hil did not stop after SIGTERM");
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {process.StandardError.ReadToEnd()} {stdout}");

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var r = json.RootElement;
        // The safe action (duty 0) was written before exit: the emulated motor is left with 0 V, not the policy's 0.5 duty.
        Assert.Equal(0.0, r.GetProperty("emulated_motor_voltage_at_exit").GetDouble());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("device_fault").ValueKind);
        // Every tick but the episode's first (no transition yet) completed a transition, except around stale readings
        // (a stale tick and the tick after it are not transitions): nothing was dropped on the way out.
        var ticks = r.GetProperty("ticks").GetInt64();
        var transitions = r.GetProperty("transitions").GetInt64();
        var stale = r.GetProperty("stale_ticks").GetInt64();
        Assert.True(transitions > 50, $"only {transitions} transitions");
        Assert.InRange(ticks - 1 - transitions, 0, 2 * stale);
        Assert.Equal(0, r.GetProperty("episodes").GetInt64());
        Assert.True(File.Exists(Path.Combine(run, "timing.csv")));
        Assert.False(File.Exists(Path.Combine(run, "timing.png"))); // the robot build carries no plotting library
    }
}
