using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

/// <summary>SIGTERM (systemd, kill) and SIGINT (Ctrl+C) stop a command gracefully: it saves and exits with 130.</summary>
public sealed class SignalTests
{
    [Fact]
    public void Sigterm_stops_an_online_run_which_saves_policy_checkpoint_and_timing()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        using var process = Cli.Start("run", "--env", "pendulum", "--hz", "200", "--learn", "--warmup", "100", "--out", run, "--no-progress");
        Signals.WaitForLine(process, "roboddpg run");
        Thread.Sleep(3000);
        Signals.Send(process, "TERM");
        var rest = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "run did not stop after SIGTERM");
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {process.StandardError.ReadToEnd()} {rest}");

        foreach (var file in new[] { "policy.rdpolicy", "checkpoint.rdckpt", "timing.csv", "run.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        Assert.Equal("Stopped", json.RootElement.GetProperty("learner_state").GetString());
        Assert.True(json.RootElement.GetProperty("ticks").GetInt64() > 100);
    }

    [Fact]
    public void Sigint_interrupts_training_which_saves_a_checkpoint_that_resumes()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "train");
        using var process = Cli.Start("train", "--steps", "1000000", "--warmup", "100", "--hidden", "32,32", "--batch-size", "32",
            "--eval-interval", "200", "--eval-episodes", "1", "--out", run, "--no-progress");
        Signals.WaitForLine(process, "step 400/");
        Signals.Send(process, "INT");
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "train did not stop after SIGINT");
        Assert.Equal(130, process.ExitCode);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.False(summary.RootElement.GetProperty("completed").GetBoolean());
        var saved = summary.RootElement.GetProperty("env_steps").GetInt64();
        Assert.True(saved >= 400);
        var resumed = Cli.Run("train", "--resume", run, "--steps", (saved + 100).ToString(), "--no-progress");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
    }

    [Fact]
    public void The_estop_file_forces_the_safe_action_and_stops_learning()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        var estop = Path.Combine(dir.Path, "ESTOP");
        using var process = Cli.Start("run", "--env", "pendulum", "--hz", "200", "--learn", "--warmup", "100", "--estop-file", estop,
            "--out", run, "--no-progress");
        Signals.WaitForLine(process, "roboddpg run");
        Thread.Sleep(2000);
        File.WriteAllText(estop, "");
        Thread.Sleep(1000);
        Signals.Send(process, "TERM");
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var r = json.RootElement;
        // About 200 ticks under e-stop (1 s at 200 Hz, polled every 100 ms), more if the machine is slow to stop.
        Assert.InRange(r.GetProperty("safety_emergency_stop").GetInt64(), 50, 1000);
    }
}
