using System.Diagnostics;
using System.Reflection;

namespace RoboDdpg.Cli.Tests;

/// <summary>Runs the built roboddpg CLI as a child process.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string DllPath { get; } = Path.GetFullPath(typeof(Cli).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RoboDdpgCli").Value!);

    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        return Process.Start(info)!;
    }

    public static Result Run(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"roboddpg {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}

internal static class Signals
{
    /// <summary>Sends a POSIX signal (e.g. "TERM", "INT") to a process, as systemd or Ctrl+C would.</summary>
    public static void Send(System.Diagnostics.Process process, string signal) => Send(process.Id, signal);

    public static void Send(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-s", signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Reads stdout until a line containing <paramref name="marker"/> appears (the command is up and running).</summary>
    public static void WaitForLine(System.Diagnostics.Process process, string marker)
    {
        while (process.StandardOutput.ReadLine() is { } line)
            if (line.Contains(marker)) return;
        throw new InvalidOperationException($"the process ended before printing '{marker}'");
    }
}
