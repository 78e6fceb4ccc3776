namespace RoboDdpg.Cli.Tests;

/// <summary>train --params / --randomize: the files shape the plant, survive a resume, and bad ones are refused in one line.</summary>
public sealed class TwinFilesTests
{
    private static readonly string Parameters = RepositoryFile.Locate("sim/RoboDdpg.Sim/MotorPendulum/motor-pendulum.json");
    private static readonly string Ranges = RepositoryFile.Locate("sim/RoboDdpg.Sim/Randomization/motor-pendulum-randomization.json");

    private static readonly string[] Small =
        ["--warmup", "100", "--hidden", "32,32", "--batch-size", "32", "--eval-interval", "500", "--eval-episodes", "1", "--no-progress"];

    [Fact]
    public void Randomized_training_logs_each_episode_and_resumes_with_the_same_ranges()
    {
        using var dir = new TempDirectory();
        var run = Path.Combine(dir.Path, "run");
        var first = Cli.Run(["train", "--env", "motor-pendulum", "--params", Parameters, "--randomize", Ranges, "--steps", "1000", "--out", run, .. Small]);
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);

        // 500-step episodes: episodes start at steps 0 and 500 (and the next reset, if any, comes with the next step).
        var log = File.ReadAllLines(Path.Combine(run, "randomization.csv"));
        Assert.StartsWith("episode,seed,", log[0]);
        Assert.Equal(2, log.Length - 1);
        Assert.NotEqual(log[1].Split(',')[2..], log[2].Split(',')[2..]); // different plants per episode

        var resumed = Cli.Run("train", "--resume", run, "--steps", "1500", "--no-progress");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "randomization.csv")).Length - 1); // the checkpoint kept the ranges
    }

    [Fact]
    public void Bad_twin_files_are_refused_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        var bad = Path.Combine(dir.Path, "bad.json");
        File.WriteAllText(bad, """{ "arm_mass": { "scale": [1.2, 0.8] } }""");
        foreach (var (args, expected) in new (string[], string)[]
                 {
                     (["--env", "pendulum", "--params", Parameters], "pendulum is Gymnasium's Pendulum-v1 exactly"),
                     (["--env", "motor-pendulum", "--randomize", bad], $"{bad}: "),
                     (["--env", "motor-pendulum", "--params", Path.Combine(dir.Path, "missing.json")], "missing.json: file not found"),
                 })
        {
            var run = Path.Combine(dir.Path, "out");
            var result = Cli.Run(["train", .. args, "--out", run, "--no-progress"]);
            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
            Assert.Contains(expected, line);
            Assert.False(Directory.Exists(run), "nothing may be written for a refused run");
        }
    }
}
