using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RoboDdpg.Cli;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Policy;

namespace RoboDdpg.Robot;

/// <summary>
/// <c>roboddpg-robot policy-check</c> (hidden, diagnostic): runs a policy file on a CSV of observations and writes the
/// actions, so that two builds of the runtime (x64 and arm64, JIT and emulator) can be shown to act identically.
/// With <c>--expect</c> it compares with another build's actions and prints one JSON object with the largest
/// absolute difference; exit 1 outside <c>--tolerance</c>.
/// </summary>
internal static class PolicyCheckCommand
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "policy file", Required = true };
        var observations = new Option<string>("--observations") { Description = "CSV: a header of observation names, then one observation per row", Required = true };
        var output = new Option<string>("--out") { Description = "CSV to write: a header of action names, then the action of each row (round-trip precision)", Required = true };
        var expect = OptionFactory.Create<string?>("--expect", "actions CSV of another build to compare with", null);
        var tolerance = OptionFactory.InRange("--tolerance", "largest acceptable absolute difference with --expect", 1e-5, 0, double.MaxValue);
        var command = new Command("policy-check", "run a policy on observations from a CSV and write (and compare) its actions")
        {
            policy, observations, output, expect, tolerance,
        };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var policyPath = parse.GetValue(policy)!;
            var (mlp, metadata) = PolicyFile.Load(policyPath);
            var inputs = ReadTable(parse.GetValue(observations)!, mlp.ObservationSize);
            var actions = new float[inputs.Count][];
            for (var row = 0; row < inputs.Count; row++)
            {
                actions[row] = new float[mlp.ActionSize];
                mlp.Act(inputs[row], actions[row]);
            }
            var text = new StringBuilder().AppendLine(string.Join(',', metadata.ActionNames));
            foreach (var action in actions) text.AppendLine(string.Join(',', action.Select(a => a.ToString("R", CultureInfo.InvariantCulture))));
            AtomicFile.WriteAllText(parse.GetValue(output)!, text.ToString());

            double? maxDifference = null;
            if (parse.GetValue(expect) is { } expectedPath)
            {
                var expected = ReadTable(expectedPath, mlp.ActionSize);
                if (expected.Count != actions.Length) throw new CliError($"{expectedPath}: {expected.Count} actions, but {actions.Length} observations");
                maxDifference = 0;
                for (var row = 0; row < actions.Length; row++)
                    for (var i = 0; i < mlp.ActionSize; i++)
                        maxDifference = Math.Max(maxDifference.Value, Math.Abs((double)actions[row][i] - expected[row][i]));
            }
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["policy"] = policyPath,
                ["rows"] = actions.Length,
                ["architecture"] = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(),
                ["max_abs_difference"] = maxDifference,
                ["tolerance"] = maxDifference is null ? null : parse.GetValue(tolerance),
            }));
            return maxDifference is { } d && !(d <= parse.GetValue(tolerance)) ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A header line, then rows of <paramref name="columns"/> numbers; a bad row is a one-line error naming file and line.</summary>
    private static List<float[]> ReadTable(string path, int columns)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"{path}: cannot read ({e.Message.Split('\n')[0]})");
        }
        if (lines.Length == 0) throw new CliError($"{path}: empty (a header line is expected)");
        var rows = new List<float[]>();
        for (var line = 1; line < lines.Length; line++)
        {
            if (lines[line].Length == 0) continue;
            var cells = lines[line].Split(',');
            if (cells.Length != columns) throw new CliError($"{path}:{line + 1}: {cells.Length} values, expected {columns}");
            var row = new float[columns];
            for (var i = 0; i < columns; i++)
            {
                if (!float.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out row[i]) || !float.IsFinite(row[i]))
                    throw new CliError($"{path}:{line + 1}: '{cells[i]}' is not a finite number");
            }
            rows.Add(row);
        }
        return rows;
    }
}
