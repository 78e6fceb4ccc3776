using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using RoboDdpg.Cli;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Safety;

namespace RoboDdpg.Robot.Service;

/// <summary>
/// <c>roboddpg-robot service</c>: the policy on the described robot as a long-running systemd service (Type=notify):
/// configuration from a JSON file with command-line overrides, READY=1 once the loop ticks, WATCHDOG=1 while it keeps
/// ticking, journald log format, SIGTERM → safe action, outputs saved, exit 0; a device fault → exit 3.
/// Everything that can be refused (configuration, policy file, robot description, devices) is refused before the host
/// starts and before anything moves, as a one-line error with exit 2.
/// </summary>
internal static class ServiceCommand
{
    public const string DefaultConfigPath = "/etc/roboddpg/robot.json";

    /// <summary>The host's share of systemd's TimeoutStopSec=10: time for the loop to stop and the outputs to be saved.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(8);

    public static Command Create()
    {
        var config = OptionFactory.Create("--config", "configuration file (JSON, see hardware/systemd/robot.json)", DefaultConfigPath);
        var robot = OptionFactory.Create<string?>("--robot", "override RoboDdpg:Robot, the robot description file", null);
        var policy = OptionFactory.Create<string?>("--policy", "override RoboDdpg:Policy, the policy file", null);
        var emulate = OptionFactory.Create("--emulate", "override RoboDdpg:Emulate: emulated devices driven by the robot's twin", false);
        var output = OptionFactory.Create<string?>("--out", "override RoboDdpg:Output, the parent folder of each start's outputs", null);
        var hz = OptionFactory.Create<double?>("--hz", "override RoboDdpg:Hz, the control rate", null);
        var fifo = OptionFactory.Create<int?>("--fifo", "override RoboDdpg:Fifo, the loop thread's SCHED_FIFO priority (0: normal)", null);
        var cpu = OptionFactory.Create<int?>("--cpu", "override RoboDdpg:Cpu, the CPU the loop thread is pinned to (-1: none)", null);
        var command = new Command("service", "run a policy on the described robot as a systemd service (Type=notify, watchdog, journald logs)")
        {
            config, robot, policy, emulate, output, hz, fifo, cpu,
        };
        command.SetAction(parse =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(robot) is { } r) overrides["Robot"] = Path.GetFullPath(r);
            if (parse.GetValue(policy) is { } p) overrides["Policy"] = Path.GetFullPath(p);
            if (parse.GetValue(emulate)) overrides["Emulate"] = "true";
            if (parse.GetValue(output) is { } o) overrides["Output"] = Path.GetFullPath(o);
            if (parse.GetValue(hz) is { } h) overrides["Hz"] = h.ToString("R", CultureInfo.InvariantCulture);
            if (parse.GetValue(fifo) is { } f) overrides["Fifo"] = f.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(cpu) is { } c) overrides["Cpu"] = c.ToString(CultureInfo.InvariantCulture);
            var configPath = parse.GetValue(config)!;
            return Run(configPath, RobotServiceSettings.Load(configPath, overrides));
        });
        return command;
    }

    private static int Run(string configPath, RobotServiceSettings settings)
    {
        // The policy file is checked before any device is opened or moved.
        var (policy, metadata) = PolicyFile.Load(settings.Policy!);
        using var plant = Plant.Described(settings.Robot!, settings.Emulate);
        plant.Check(settings.Policy!, policy, metadata);
        var rate = settings.Hz > 0 ? settings.Hz : 1.0 / plant.Environment.Spec.ControlPeriodSeconds;
        var loopOptions = settings.LoopOptions(rate);
        var safety = new SafetyOptions
        {
            MaxDeltaPerTick = settings.MaxDelta > 0 ? [(float)settings.MaxDelta] : null,
            WatchdogTicks = settings.WatchdogTicks,
        };
        // A new folder per start: a restart after a fault keeps the faulted run's outputs.
        var outDir = OutputDirectory.Prepare(Path.Combine(settings.Output, $"{plant.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}"),
            [.. Cli.Output.TimingPlot.FileNames, RunCommand.Session.SummaryFileName]);
        using var session = new RunCommand.Session(plant.Name, plant, policy, settings.Seed, safety, loopOptions, settings.EstopFile, recording: null);
        var description = $"{plant.Name} ({settings.Robot}{(settings.Emulate ? ", emulated devices" : "")}) at {rate:0.##} Hz with policy {settings.Policy}, configured by {Path.GetFullPath(configPath)}";

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        var underSystemd = SystemdHelpers.IsSystemdService() || Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 };
        builder.Configuration.AddConfiguration(RobotServiceSettings.Build(configPath, new Dictionary<string, string?>()));
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        if (underSystemd || Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 })
            builder.Logging.AddSystemdConsole(o => o.UseUtcTimestamp = true); // "<6>category[0] message": journald reads the priority
        else
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        if (underSystemd)
        {
            // AddSystemd only switches on when the parent process is systemd; a NOTIFY_SOCKET is reason enough here
            // (systemd-run --user, a container's init, the tests' socket).
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(new RobotServiceRun(session, outDir, description));
        builder.Services.AddSingleton<RobotLoopService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RobotLoopService>());
        using var host = builder.Build();
        var service = host.Services.GetRequiredService<RobotLoopService>();
        host.Run();
        return service.ExitCode;
    }
}
