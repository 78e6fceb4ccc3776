using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

public sealed class ExportCommandTests
{
    [Fact]
    public void Export_writes_the_checkpoint_actor_as_a_policy_that_acts_like_the_run_policy()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        var train = Cli.Run("train", "--steps", "300", "--warmup", "100", "--hidden", "32,32", "--batch-size", "32",
            "--eval-interval", "0", "--eval-episodes", "2", "--out", run, "--no-progress");
        Assert.True(train.ExitCode == 0, train.Stderr);

        var exported = Path.Combine(dir.Path, "exported.rdpolicy");
        var export = Cli.Run("export", "--checkpoint", run, "--out", exported);
        Assert.True(export.ExitCode == 0, export.Stderr);

        double Mean(string policy)
        {
            var eval = Cli.Run("eval", "--policy", policy, "--episodes", "3", "--json");
            Assert.True(eval.ExitCode == 0, eval.Stderr);
            using var json = JsonDocument.Parse(eval.Stdout);
            return json.RootElement.GetProperty("mean_return").GetDouble();
        }
        Assert.Equal(Mean(Path.Combine(run, "policy.rdpolicy")), Mean(exported));
    }

    [Fact]
    public void Export_refuses_a_corrupt_checkpoint_and_a_folder_as_output()
    {
        using var dir = new TempDirectory();
        var bad = Path.Combine(dir.Path, "checkpoint.rdckpt");
        File.WriteAllText(bad, "RDDPGCKP but nothing else of a checkpoint, only text");
        var corrupt = Cli.Run("export", "--checkpoint", bad, "--out", Path.Combine(dir.Path, "p.rdpolicy"));
        Assert.Equal(2, corrupt.ExitCode);
        Assert.Equal($"roboddpg: {bad}: checksum mismatch (checkpoint is corrupted or truncated)", corrupt.Stderr.TrimEnd());

        var folder = Cli.Run("export", "--checkpoint", bad, "--out", dir.Path);
        Assert.Equal(2, folder.ExitCode);
        Assert.Equal($"roboddpg: {dir.Path}: is a folder; give the policy file's path", folder.Stderr.TrimEnd());
    }
}
