using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

public sealed class TwinCheckCommandTests
{
    [Fact]
    public void Reference_trace_is_within_the_default_tolerance()
    {
        var result = Cli.Run("twin-check", "--env", "pendulum", "--trace", ReferenceTrace.Path);
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(16, root.GetProperty("cases").GetInt32());
        Assert.Equal(3200, root.GetProperty("steps").GetInt32());
        Assert.True(root.GetProperty("max_abs_error").GetDouble() <= 1e-5);
        foreach (var column in new[] { "cos", "sin", "thdot", "reward" })
            Assert.True(root.GetProperty(column).GetDouble() <= 1e-5, column);
    }

    [Fact]
    public void A_perturbed_trace_fails_the_check_with_exit_1()
    {
        using var dir = new TempDirectory();
        var lines = File.ReadAllLines(ReferenceTrace.Path);
        var header = lines[0].Split(',');
        var thdot = Array.IndexOf(header, "thdot");
        var fields = lines[5].Split(',');
        fields[thdot] = (double.Parse(fields[thdot], System.Globalization.CultureInfo.InvariantCulture) + 1e-3)
            .ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        lines[5] = string.Join(',', fields);
        var path = Path.Combine(dir.Path, "perturbed.csv");
        File.WriteAllLines(path, lines);

        var result = Cli.Run("twin-check", "--env", "pendulum", "--trace", path);
        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(1e-3, json.RootElement.GetProperty("thdot").GetDouble(), 6);
    }

    [Fact]
    public void Malformed_traces_give_one_line_naming_file_and_line_with_exit_2()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "missing.csv");
        var empty = Path.Combine(dir.Path, "empty.csv");
        File.WriteAllText(empty, "");
        var noColumn = Path.Combine(dir.Path, "nocol.csv");
        File.WriteAllText(noColumn, "case,step,th0,thdot0,action,cos,sin,reward\n0,0,1,0,0.5,1,0,-1\n");
        var notNumber = Path.Combine(dir.Path, "nan.csv");
        File.WriteAllText(notNumber, "case,step,th0,thdot0,action,cos,sin,thdot,reward\n0,0,1,0,abc,1,0,0,-1\n");

        foreach (var (path, expected) in new[]
                 {
                     (missing, $"{missing}: file not found"),
                     (empty, $"{empty}: file is empty"),
                     (noColumn, $"{noColumn}:1: missing column 'thdot'"),
                     (notNumber, $"{notNumber}:2: column 'action' is not a number ('abc')"),
                 })
        {
            var result = Cli.Run("twin-check", "--env", "pendulum", "--trace", path);
            Assert.Equal(2, result.ExitCode);
            Assert.Equal($"roboddpg: {expected}", result.Stderr.TrimEnd());
            Assert.Equal("", result.Stdout);
        }
    }
}
