using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

public sealed class RunCommandTests
{
    [Fact]
    public void Run_with_learning_writes_timing_policy_and_a_resumable_checkpoint()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        var result = Cli.Run("run", "--env", "pendulum", "--hz", "200", "--learn", "--seconds", "3", "--warmup", "100",
            "--out", run, "--no-progress");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var r = json.RootElement;
        var ticks = r.GetProperty("ticks").GetInt64();
        Assert.InRange(ticks, 200, 700); // 3 s at 200 Hz, minus start-up, never more than the grid allows
        Assert.Equal(ticks, r.GetProperty("transitions").GetInt64()); // every tick recorded one transition
        Assert.True(r.GetProperty("learner_updates").GetInt64() > 0);
        Assert.Equal(0, r.GetProperty("loop_alloc_bytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("learner_fault").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("loop_fault").ValueKind);

        var timing = File.ReadAllLines(Path.Combine(run, "timing.csv"));
        Assert.Equal("series,bin_low_us,bin_high_us,count", timing[0]);
        Assert.Contains(timing, l => l.StartsWith("jitter,"));
        Assert.Contains(timing, l => l.StartsWith("compute,"));
        Assert.True(File.Exists(Path.Combine(run, "timing.png")));

        // The saved policy runs without learning, and the checkpoint continues offline with train --resume.
        var replay = Cli.Run("run", "--env", "pendulum", "--hz", "200", "--policy", Path.Combine(run, "policy.rdpolicy"),
            "--seconds", "1", "--out", Path.Combine(dir.Path, "replay"), "--no-progress");
        Assert.True(replay.ExitCode == 0, replay.Stderr);
        var resumed = Cli.Run("train", "--resume", run, "--steps", (ticks + 50).ToString(), "--no-progress");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(ticks + 50, summary.RootElement.GetProperty("env_steps").GetInt64());
    }

    [Fact]
    public void Run_fine_tunes_from_a_pretrained_actor_and_critic()
    {
        using var dir = new TempDirectory();
        var trained = Path.Combine(dir.Path, "trained");
        var train = Cli.Run("train", "--env", "pendulum", "--steps", "300", "--warmup", "100", "--hidden", "16,16", "--batch-size", "32",
            "--eval-interval", "0", "--eval-episodes", "1", "--out", trained, "--no-progress");
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);

        var run = Path.Combine(dir.Path, "tuned");
        var result = Cli.Run("run", "--env", "pendulum", "--hz", "200", "--learn", "--pretrained", trained, "--seconds", "2",
            "--warmup", "50", "--out", run, "--no-progress");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("hidden 16,16", result.Stdout); // the networks are the checkpoint's, not the default 256,256
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        Assert.True(json.RootElement.GetProperty("learner_updates").GetInt64() > 0);

        var both = Cli.Run("run", "--env", "pendulum", "--learn", "--pretrained", trained, "--policy", Path.Combine(trained, "policy.rdpolicy"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("without --policy", both.Stderr);
    }

    [Theory]
    [InlineData(new[] { "run", "--env", "pendulum" }, "run needs --policy FILE, --learn, or both")]
    [InlineData(new[] { "run", "--emulate", "--learn" }, "--emulate needs --robot FILE")]
    [InlineData(new[] { "hil", "--learn" }, "--robot")]
    [InlineData(new[] { "run", "--learn", "--pretrained", "/nonexistent" }, "/nonexistent: checkpoint not found")]
    [InlineData(new[] { "run", "--hz", "-3", "--learn" }, "--hz must be in [0, 10000], got -3")]
    [InlineData(new[] { "run", "--policy", "/nonexistent.rdpolicy" }, "/nonexistent.rdpolicy: policy file not found")]
    [InlineData(new[] { "run", "--learn", "--wait", "nap" }, "nap")]
    [InlineData(new[] { "run", "--learn", "--cpu", "999" }, "--cpu 999: this machine has CPUs 0..")]
    [InlineData(new[] { "run", "--learn", "--fifo", "50", "--wait", "spin" }, "SCHED_FIFO with WaitStrategy.Spin")]
    public void Bad_run_arguments_give_one_line_and_exit_2(string[] args, string expected)
    {
        var result = Cli.Run(args);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains(expected, line);
    }
}
