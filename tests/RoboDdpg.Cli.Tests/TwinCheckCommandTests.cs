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

    [Fact]
    public void The_cart_pole_replays_its_own_columns()
    {
        // Hanging at rest at the rail centre with duty 0 nothing moves (sin π·S·g is far below the pivot friction),
        // so every step reports x = 0, ẋ = 0, cos = −1, sin = sin π, φ̇ = 0 and reward (1 + cos π)/2 = 0.
        using var dir = new TempDirectory();
        var sinPi = Math.Sin(Math.PI).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var pi = Math.PI.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var rows = Enumerable.Range(0, 3).Select(k => $"0,{k},0,0,{pi},0,0,0,0,0,-1,{sinPi},0,0");
        var good = dir.Write("rest.csv", "case,step,x0,xdot0,phi0,phidot0,i0,action,x,xdot,cos,sin,phidot,reward\n" + string.Join("\n", rows) + "\n");

        var result = Cli.Run("twin-check", "--env", "belt-cartpole", "--trace", good);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("{\"cases\":1,\"steps\":3,\"max_abs_error\":0,\"x\":0,\"xdot\":0,\"cos\":0,\"sin\":0,\"phidot\":0,\"reward\":0}", result.Stdout.Trim());

        // The recorded cart moved 1 mm: outside the tolerance, exit 1, the error in its column.
        var moved = dir.Write("moved.csv", File.ReadAllText(good).Replace($"0,0,0,-1,{sinPi},0,0\n", $"0,0.001,0,-1,{sinPi},0,0\n", StringComparison.Ordinal));
        result = Cli.Run("twin-check", "--env", "belt-cartpole", "--trace", moved);
        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(0.001, json.RootElement.GetProperty("x").GetDouble());

        // A pendulum trace lacks the cart's columns.
        result = Cli.Run("twin-check", "--env", "belt-cartpole", "--trace", ReferenceTrace.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing column 'x0'", result.Stderr, StringComparison.Ordinal);
    }
}
