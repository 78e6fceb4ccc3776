using Microsoft.Extensions.Configuration;
using RoboDdpg.Cli;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Robot.Service;

/// <summary>
/// What <c>roboddpg-robot service</c> runs: the "RoboDdpg" section of the configuration file (see
/// hardware/systemd/robot.json), overridden key by key from the command line. Relative paths in the file are relative
/// to the file's folder (a service has no meaningful working directory).
/// </summary>
internal sealed class RobotServiceSettings
{
    public const string SectionName = "RoboDdpg";

    /// <summary>Robot description file (JSON, see hardware/robots/).</summary>
    public string? Robot { get; set; }

    /// <summary>Policy file to run.</summary>
    public string? Policy { get; set; }

    /// <summary>Emulated devices driven by the description's twin instead of the real buses.</summary>
    public bool Emulate { get; set; }

    /// <summary>Parent folder of the run outputs: each start writes run.json and timing.csv into a new subfolder.</summary>
    public string Output { get; set; } = "/var/lib/roboddpg/runs";

    /// <summary>Control rate in ticks per second; 0: the robot's own rate.</summary>
    public double Hz { get; set; }

    public ulong Seed { get; set; } = 1;

    /// <summary>Safety: largest action change per tick (0: no rate limit).</summary>
    public double MaxDelta { get; set; }

    /// <summary>Safety: ticks without a fresh observation before the safe action.</summary>
    public int WatchdogTicks { get; set; } = new SafetyOptions().WatchdogTicks;

    /// <summary>While this file exists the loop writes the safe action.</summary>
    public string? EstopFile { get; set; }

    /// <summary>How the loop waits for a deadline: sleep, sleep-spin or spin.</summary>
    public string Wait { get; set; } = "sleep-spin";

    /// <summary>SCHED_FIFO priority of the loop thread (1..99; 0: normal scheduling; needs CAP_SYS_NICE).</summary>
    public int Fifo { get; set; }

    /// <summary>CPU to pin the loop thread to (-1: none).</summary>
    public int Cpu { get; set; } = -1;

    /// <summary>
    /// Reads the file, applies the overrides (already absolute paths), binds strictly (an unknown key is an error, so a
    /// typo does not silently fall back to a default) and checks what the service needs.
    /// </summary>
    public static RobotServiceSettings Load(string configPath, IReadOnlyDictionary<string, string?> overrides)
    {
        if (!File.Exists(configPath)) throw new CliError($"{configPath}: configuration file not found (give --config FILE; example: hardware/systemd/robot.json)");
        var configuration = Build(configPath, overrides);
        var settings = new RobotServiceSettings();
        try
        {
            configuration.GetSection(SectionName).Bind(settings, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new CliError($"{configPath}: {OneLine(e)}");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        string Resolve(string path) => Path.GetFullPath(path, folder);
        if (settings.Robot is null) throw new CliError($"{configPath}: {SectionName}:Robot (the robot description file) is missing; or give --robot FILE");
        if (settings.Policy is null) throw new CliError($"{configPath}: {SectionName}:Policy (the policy file) is missing; or give --policy FILE");
        settings.Robot = Resolve(settings.Robot);
        settings.Policy = Resolve(settings.Policy);
        settings.Output = Resolve(settings.Output);
        if (settings.EstopFile is not null) settings.EstopFile = Resolve(settings.EstopFile);
        if (settings.Hz is < 0 or > RealtimeLoopOptions.MaxRateHz) throw new CliError($"{configPath}: {SectionName}:Hz must be in 0..{RealtimeLoopOptions.MaxRateHz}, got {settings.Hz}");
        if (settings.WatchdogTicks < 1) throw new CliError($"{configPath}: {SectionName}:WatchdogTicks must be at least 1, got {settings.WatchdogTicks}");
        if (!(settings.MaxDelta >= 0)) throw new CliError($"{configPath}: {SectionName}:MaxDelta must be at least 0, got {settings.MaxDelta}");
        if (settings.Wait is not ("sleep" or "sleep-spin" or "spin")) throw new CliError($"{configPath}: {SectionName}:Wait must be sleep, sleep-spin or spin, got '{settings.Wait}'");
        if (settings.Fifo is < 0 or > 99) throw new CliError($"{configPath}: {SectionName}:Fifo must be in 0..99, got {settings.Fifo}");
        if (settings.Cpu < -1 || settings.Cpu >= Environment.ProcessorCount)
            throw new CliError($"{configPath}: {SectionName}:Cpu {settings.Cpu}: this machine has CPUs 0..{Environment.ProcessorCount - 1} (-1: no pinning)");
        return settings;
    }

    /// <summary>The JSON file, then the command-line overrides on top (the later source wins).</summary>
    public static IConfigurationRoot Build(string configPath, IReadOnlyDictionary<string, string?> overrides)
    {
        try
        {
            return new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(configPath), optional: false, reloadOnChange: false)
                .AddInMemoryCollection(overrides.Select(o => KeyValuePair.Create($"{SectionName}:{o.Key}", o.Value)))
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliError($"{configPath}: {OneLine(e)}");
        }
    }

    /// <summary>The loop's pacing from these settings.</summary>
    public RealtimeLoopOptions LoopOptions(double rateHz)
    {
        var options = new RealtimeLoopOptions
        {
            RateHz = rateHz,
            WaitStrategy = Wait switch { "sleep" => WaitStrategy.Sleep, "spin" => WaitStrategy.Spin, _ => WaitStrategy.SleepThenSpin },
            Scheduling = Fifo > 0 ? SchedulingPolicy.Fifo : SchedulingPolicy.Normal,
            Priority = Fifo > 0 ? Fifo : 50,
            CpuAffinity = Cpu >= 0 ? [Cpu] : null,
            WarmupTicks = 100,
            ThreadName = "roboddpg-loop",
        };
        options.Validate();
        return options;
    }

    private static string OneLine(Exception e)
    {
        var message = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        return message.ReplaceLineEndings(" ").Trim();
    }
}
