using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.Randomization;

namespace RoboDdpg.Sim.Tests.Randomization;

/// <summary>The per-episode CSV of sampled parameters.</summary>
public sealed class RandomizationLogTests
{
    private const string Config = """{ "arm_mass": { "scale": [0.8, 1.2] }, "latency_ticks": { "range": [0, 2] } }""";

    [Fact]
    public void Writes_a_header_and_one_flushed_row_per_episode()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "randomization.csv");
        var config = RandomizationConfig.Parse(Config, "cfg.json");
        using var env = new RandomizedEnvironment(config, seed: 3).Start();
        using var log = new RandomizationLog(path, config.Names);
        log.Attach(env);
        var obs = new float[3];
        var samples = new List<RandomizationSample>();
        env.EpisodeSampled += samples.Add;

        env.Reset(42, obs);
        // Flushed per row: readable while the log is still open.
        var lines = ReadShared(path);
        Assert.Equal(["episode,seed,arm_mass,latency_ticks", Row(samples[0])], lines);
        Assert.Equal($"0,42,{samples[0]["arm_mass"]:R},{samples[0]["latency_ticks"]}", lines[1]);

        env.Reset(43, obs);
        env.Reset(null, obs);
        lines = ReadShared(path);
        Assert.Equal(4, lines.Length);
        Assert.Equal(samples.Select(Row), lines[1..]);
        Assert.StartsWith($"2,{samples[2].Seed},", lines[3], StringComparison.Ordinal);
        // Values round-trip exactly.
        Assert.Equal(samples[1]["arm_mass"], double.Parse(lines[2].Split(',')[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Appends_to_a_log_with_the_same_header_and_rejects_another()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "randomization.csv");
        var config = RandomizationConfig.Parse(Config, "cfg.json");
        using var env = new RandomizedEnvironment(config, seed: 3).Start();
        var obs = new float[3];
        using (var log = new RandomizationLog(path, config.Names))
        {
            log.Attach(env);
            env.Reset(1, obs);
        }
        using (var log = new RandomizationLog(path, config.Names))
        {
            log.Write(env.CurrentSample!);
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Equal(lines[1], lines[2]);

        var ex = Assert.Throws<InvalidDataException>(() => new RandomizationLog(path, ["arm_mass"]));
        Assert.StartsWith($"{path}: header 'episode,seed,arm_mass,latency_ticks' does not match", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static string Row(RandomizationSample s) =>
        string.Join(',', new[] { s.Episode.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            .Concat(s.Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
