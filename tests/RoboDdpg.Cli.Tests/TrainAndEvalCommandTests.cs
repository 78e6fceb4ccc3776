using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

public sealed class TrainAndEvalCommandTests
{
    // A small, fast configuration: the point is the command's behaviour, not the learning result.
    private static readonly string[] Small =
        ["--warmup", "100", "--hidden", "32,32", "--batch-size", "32", "--eval-interval", "200", "--eval-episodes", "2", "--no-progress"];

    private static Cli.Result Train(string outDir, int steps, params string[] extra) =>
        Cli.Run(["train", "--env", "pendulum", "--steps", steps.ToString(), "--out", outDir, .. Small, .. extra]);

    [Fact]
    public void Train_writes_every_output_then_eval_and_resume_use_them()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        var train = Train(run, 400, "--seed", "5");
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);

        foreach (var file in new[] { "policy.rdpolicy", "checkpoint.rdckpt", "metrics.csv", "summary.json", "learning-curve.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal(400, s.GetProperty("env_steps").GetInt64());
        Assert.Equal(300, s.GetProperty("updates").GetInt64()); // one update per step after 100 warm-up steps
        Assert.Equal(2, s.GetProperty("episodes").GetInt64());
        foreach (var key in new[] { "eval_mean_return", "eval_std_return", "wall_seconds", "env_steps_per_s", "updates_per_s" })
            Assert.True(s.GetProperty(key).GetDouble() is var v && double.IsFinite(v), key);
        Assert.True(s.TryGetProperty("first_step_reaching_minus_200", out _));

        var metrics = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.StartsWith("kind,env_step,", metrics[0]);
        Assert.Equal(2, metrics.Count(l => l.StartsWith("episode,")));
        Assert.Equal(2, metrics.Count(l => l.StartsWith("eval,"))); // at 200 and 400 (the final one reuses 400)

        // eval of the saved policy with the same seeds reproduces the summary's evaluation exactly.
        var eval = Cli.Run("eval", "--policy", Path.Combine(run, "policy.rdpolicy"), "--env", "pendulum", "--episodes", "2", "--json");
        Assert.Equal(0, eval.ExitCode);
        using var evalJson = JsonDocument.Parse(eval.Stdout);
        Assert.Equal(s.GetProperty("eval_mean_return").GetDouble(), evalJson.RootElement.GetProperty("mean_return").GetDouble(), 6);

        // Resume continues to the new step budget in the same folder.
        var resumed = Cli.Run("train", "--resume", run, "--steps", "600", "--no-progress");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        using var summary2 = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(600, summary2.RootElement.GetProperty("env_steps").GetInt64());
        Assert.Equal(500, summary2.RootElement.GetProperty("updates").GetInt64());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Count(l => l.StartsWith("episode,")));
    }

    [Theory]
    [InlineData(new[] { "train", "--env", "cartpole" }, "unknown environment 'cartpole' (known: belt-cartpole, motor-pendulum, pendulum)")]
    [InlineData(new[] { "train", "--steps", "-5" }, "--steps must be at least 1, got -5")]
    [InlineData(new[] { "train", "--steps", "many" }, "many")]
    [InlineData(new[] { "train", "--gamma", "1.5" }, "--gamma must be in [0, 1], got 1.5")]
    [InlineData(new[] { "train", "--hidden", "64,x" }, "--hidden: '64,x' is not a comma-separated list of positive widths")]
    [InlineData(new[] { "eval", "--policy", "/nonexistent/p.rdpolicy" }, "/nonexistent/p.rdpolicy: policy file not found")]
    [InlineData(new[] { "train", "--resume", "/nonexistent/run" }, "/nonexistent/run: resume folder not found")]
    [InlineData(new[] { "train", "--out", "/proc/version/run" }, "/proc/version/run")]
    public void Bad_input_gives_one_line_exit_2_and_no_stack_trace(string[] args, string expected)
    {
        var result = Cli.Run(args);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.TrimEnd().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("roboddpg: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Corrupt_policy_and_checkpoint_files_are_refused()
    {
        using var dir = new TempDirectory();
        var policy = Path.Combine(dir.Path, "bad.rdpolicy");
        File.WriteAllText(policy, "garbage garbage garbage garbage garbage garbage");
        var eval = Cli.Run("eval", "--policy", policy);
        Assert.Equal(2, eval.ExitCode);
        Assert.Equal($"roboddpg: {policy}: not a RoboDdpg policy file", eval.Stderr.TrimEnd());

        var run = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "checkpoint.rdckpt"), "RDDPGCKP and then nothing useful at all, just text");
        var resume = Cli.Run("train", "--resume", run, "--no-progress");
        Assert.Equal(2, resume.ExitCode);
        Assert.Equal($"roboddpg: {Path.Combine(run, "checkpoint.rdckpt")}: checksum mismatch (checkpoint is corrupted or truncated)", resume.Stderr.TrimEnd());
    }

    [Fact]
    public void A_new_run_refuses_to_overwrite_an_existing_run()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "checkpoint.rdckpt"), "precious");
        var result = Train(run, 100);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("already holds a training run", result.Stderr);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(run, "checkpoint.rdckpt")));
    }

    [Fact]
    public void Killing_a_run_while_it_checkpoints_never_leaves_a_broken_checkpoint()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        Assert.Equal(0, Train(run, 300, "--checkpoint-interval", "20").ExitCode);

        // Checkpoint every 20 steps and kill -9 at an arbitrary moment, several times.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var checkpoint = Path.Combine(run, "checkpoint.rdckpt");
            var saved = File.GetLastWriteTimeUtc(checkpoint);
            using var process = Cli.Start("train", "--resume", run, "--steps", "100000", "--no-progress");
            // Kill once the resumed run is checkpointing (its first save landed), at a different moment each time.
            Assert.True(SpinWait.SpinUntil(() => File.GetLastWriteTimeUtc(checkpoint) > saved, TimeSpan.FromSeconds(90)), "the resumed run never checkpointed");
            Thread.Sleep(300 + 450 * attempt);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();

            // Whatever survived must be a complete checkpoint that resumes: a short resume run proves it.
            var check = Cli.Run("train", "--resume", run, "--steps", "1", "--no-progress");
            Assert.True(check.ExitCode == 0, $"attempt {attempt}: {check.Stderr}");
            Assert.Empty(Directory.GetFiles(run, ".*.tmp")); // leftovers of the killed write are cleared
        }
        // The killed runs did save progress beyond the first run's 300 steps before dying.
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("env_steps").GetInt64() > 300);
    }
}
