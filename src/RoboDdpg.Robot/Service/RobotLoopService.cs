using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using RoboDdpg.Cli;
using RoboDdpg.Core.Timing;
using static RoboDdpg.Cli.Commands.RunCommand;

namespace RoboDdpg.Robot.Service;

/// <summary>A prepared run: the session (robot opened, policy checked) and where it writes.</summary>
internal sealed record RobotServiceRun(Session Session, string OutputDirectory, string Description);

/// <summary>
/// Runs the control loop of a prepared <see cref="Session"/> on its own thread inside the generic host.
/// <see cref="StartAsync"/> returns once the loop has ticked, so the host's "started" (on which the systemd lifetime
/// sends READY=1) means "the robot is being controlled". While the loop's tick counter advances, the supervisor sends
/// WATCHDOG=1 at half of systemd's WatchdogSec; a hung loop stops the notifications and systemd restarts the unit.
/// On stop (SIGTERM via the host lifetime) the session stops the loop, writes the safe action and saves its outputs.
/// </summary>
internal sealed partial class RobotLoopService(
    RobotServiceRun run, IHostApplicationLifetime lifetime, ILogger<RobotLoopService> logger, ISystemdNotifier? notifier = null) : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ticking = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan? _watchdogInterval = notifier is { IsEnabled: true } ? WatchdogInterval() : null;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastNotification;
    private long _ticksAtLastNotification;
    private Thread? _thread;

    /// <summary>The process exit code: 0 after a requested stop, <see cref="ExitCodes.DeviceFault"/> or <see cref="ExitCodes.InternalError"/> after a fault.</summary>
    public int ExitCode { get; private set; } = ExitCodes.Ok;

    /// <summary>WATCHDOG=1 notifications sent.</summary>
    public long WatchdogNotifications { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarting(logger, run.Description, run.OutputDirectory, _watchdogInterval?.TotalMilliseconds);
        _thread = new Thread(RunSession) { Name = "roboddpg-service" };
        _thread.Start();
        await Task.WhenAny(_ticking.Task, _finished.Task).WaitAsync(cancellationToken);
        if (_ticking.Task.IsCompleted) LogRunning(logger);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_finished.Task.IsCompleted) LogStopping(logger);
        await _stop.CancelAsync();
        await _finished.Task.WaitAsync(cancellationToken);
        _thread?.Join();
        LogStopped(logger, ExitCode, run.OutputDirectory, WatchdogNotifications);
    }

    private void RunSession()
    {
        var code = ExitCodes.InternalError;
        try
        {
            code = run.Session.Run(run.OutputDirectory, seconds: 0, plain: true, _stop.Token, Supervise);
            if (code == ExitCodes.Interrupted) code = ExitCodes.Ok; // a stop systemd asked for is a clean exit
        }
        catch (Exception e)
        {
            LogCrashed(logger, e);
        }
        finally
        {
            ExitCode = code;
            if (code == ExitCodes.DeviceFault) LogDeviceFault(logger, code);
            else if (code != ExitCodes.Ok) LogFault(logger, code);
            _finished.TrySetResult();
            // Stopped by itself (fault): end the host, whose exit code makes Restart=on-failure apply.
            if (!_stop.IsCancellationRequested) lifetime.StopApplication();
        }
    }

    /// <summary>Called about every 100 ms from the session's watching thread (never from the loop thread).</summary>
    private void Supervise(RealtimeLoop loop)
    {
        var ticks = loop.Stats.TotalTicks;
        if (ticks > 0) _ticking.TrySetResult();
        // systemd arms the watchdog once start-up is complete (READY=1, sent when the host has started).
        if (_watchdogInterval is not { } interval || loop.Fault is not null || !lifetime.ApplicationStarted.IsCancellationRequested) return;
        var now = _clock.Elapsed;
        // Only a loop that has ticked since the last notification keeps systemd's watchdog fed.
        if (ticks > _ticksAtLastNotification && (_lastNotification is not { } last || now - last >= interval))
        {
            notifier!.Notify(new ServiceState("WATCHDOG=1"));
            _ticksAtLastNotification = ticks;
            _lastNotification = now;
            WatchdogNotifications++;
        }
    }

    /// <summary>
    /// Half of the watchdog timeout systemd passes in WATCHDOG_USEC (as sd_watchdog_enabled reads it: only when
    /// WATCHDOG_PID is absent or names this process), or null when the unit has no WatchdogSec.
    /// </summary>
    internal static TimeSpan? WatchdogInterval()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
            return null;
        if (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            return null;
        return TimeSpan.FromMicroseconds(microseconds / 2.0);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "starting {Description}, output {Output}, systemd watchdog notification every {WatchdogMs} ms")]
    private static partial void LogStarting(ILogger logger, string description, string output, double? watchdogMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "control loop running")]
    private static partial void LogRunning(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "stop requested: stopping the loop, writing the safe action, saving the outputs")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "stopped with exit code {ExitCode}; outputs in {Output}; {Notifications} watchdog notifications sent")]
    private static partial void LogStopped(ILogger logger, int exitCode, string output, long notifications);

    [LoggerMessage(EventId = 5, Level = LogLevel.Critical, Message = "device fault: the loop stopped in the safe action (exit code {ExitCode}; systemd restarts the unit on failure)")]
    private static partial void LogDeviceFault(ILogger logger, int exitCode);

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "control loop stopped by a fault (exit code {ExitCode}; safe action written)")]
    private static partial void LogFault(ILogger logger, int exitCode);

    [LoggerMessage(EventId = 7, Level = LogLevel.Critical, Message = "control session crashed")]
    private static partial void LogCrashed(ILogger logger, Exception exception);
}
