using System.Diagnostics;
using System.Reflection;
using RoboDdpg.Core.Policy;

namespace RoboDdpg.Robot.Tests;

/// <summary>Runs the built roboddpg-robot as a child process.</summary>
internal static class RobotCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static string Metadata(string key) => typeof(RobotCli).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string DllPath { get; } = Path.GetFullPath(Metadata("RoboDdpgRobot"));

    /// <summary>The robot project's folder (its obj/project.assets.json lists the restored graph).</summary>
    public static string ProjectDirectory { get; } = Path.GetFullPath(Metadata("RoboDdpgRobotProject"));

    public static Process Start(params string[] args) => StartWith(new Dictionary<string, string>(), args);

    /// <summary>Starts with extra environment variables (e.g. systemd's NOTIFY_SOCKET and WATCHDOG_USEC).</summary>
    public static Process StartWith(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return Process.Start(info)!;
    }

    public static Result Run(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"roboddpg-robot {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Sends a POSIX signal (e.g. "TERM") to a process, as systemd does on stop.</summary>
    public static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Reads stdout until a line containing <paramref name="marker"/> appears.</summary>
    public static void WaitForLine(Process process, string marker)
    {
        while (process.StandardOutput.ReadLine() is { } line)
            if (line.Contains(marker)) return;
        throw new InvalidOperationException($"the process ended before printing '{marker}': {process.StandardError.ReadToEnd()}");
    }

    /// <summary>
    /// A one-layer policy for the motor pendulum and the HAT robot (cos θ, sin θ, θ̇ → duty in [-1, 1]):
    /// duty = tanh(w·x + b), easy to compute by hand.
    /// </summary>
    public static string WritePolicy(string directory, float[] weights, float bias)
    {
        var path = Path.Combine(directory, "policy.rdpolicy");
        var policy = new MlpPolicy([new DenseLayer(3, 1, weights, [bias])], [-1f], [1f]);
        PolicyFile.Save(path, policy, new PolicyMetadata("motor-pendulum", ["cos_theta", "sin_theta", "theta_dot"], ["duty"], DateTimeOffset.UnixEpoch, 0));
        return path;
    }
}
