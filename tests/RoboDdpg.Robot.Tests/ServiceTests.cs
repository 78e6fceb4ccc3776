using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace RoboDdpg.Robot.Tests;

/// <summary>
/// <c>roboddpg-robot service</c> as systemd runs it: sd_notify datagrams on the socket NOTIFY_SOCKET names (READY=1 once
/// the loop ticks, WATCHDOG=1 while it keeps ticking), SIGTERM → safe action written, outputs saved, exit 0.
/// </summary>
public sealed class ServiceTests
{
    private static readonly string Hat = RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");

    /// <summary>The service manager's end of sd_notify: a bound Unix datagram socket collecting every message.</summary>
    private sealed class NotifySocket : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly BlockingCollection<string> _messages = [];
        private readonly Thread _reader;

        public NotifySocket(string path)
        {
            Path = path;
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            _reader = new Thread(Read) { IsBackground = true };
            _reader.Start();
        }

        public string Path { get; }

        public List<string> Received { get; } = [];

        private void Read()
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = _socket.Receive(buffer);
                    // One datagram may carry several newline-separated assignments.
                    foreach (var line in Encoding.UTF8.GetString(buffer, 0, n).Split('\n', StringSplitOptions.RemoveEmptyEntries)) _messages.Add(line);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _messages.CompleteAdding();
            }
        }

        /// <summary>Waits for <paramref name="count"/> more messages equal to <paramref name="message"/>; false if they did not come in time.</summary>
        public bool WaitFor(string message, int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            var seen = 0;
            while (seen < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !_messages.TryTake(out var received, left)) return false;
                Received.Add(received);
                if (received == message) seen++;
            }
            return true;
        }

        /// <summary>Everything received so far that no <see cref="WaitFor"/> has taken.</summary>
        public List<string> Drain()
        {
            while (_messages.TryTake(out var m)) Received.Add(m);
            return Received;
        }

        public void Dispose()
        {
            _socket.Dispose();
            _reader.Join(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    [Trait("Category", "HIL")]
    public async Task Service_notifies_ready_feeds_the_watchdog_and_stops_on_sigterm_with_the_safe_action_written()
    {
        using var dir = new TempDirectory();
        // A constant duty of 0.5 (tanh(atanh 0.5)): while running, the emulated motor sees 0.5 × the supply voltage.
        var policy = RobotCli.WritePolicy(dir.Path, [0f, 0f, 0f], (float)Math.Atanh(0.5));
        // The shipped example configuration (real buses, SCHED_FIFO 80 on CPU 3), overridden from the command line.
        var config = RepositoryFile.Locate("hardware/systemd/robot.json");
        var runs = Path.Combine(dir.Path, "runs");
        using var notify = new NotifySocket(Path.Combine(dir.Path, "notify"));
        using var process = RobotCli.StartWith(
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path, ["WATCHDOG_USEC"] = "2000000" },
            "service", "--config", config, "--robot", Hat, "--emulate", "--policy", policy, "--out", runs, "--fifo", "0", "--cpu", "-1");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        string Output() => $"exit {(process.HasExited ? process.ExitCode : -1)}; stdout: {(stdout.IsCompleted ? stdout.Result : "")} stderr: {(stderr.IsCompleted ? stderr.Result : "")}";
        try
        {
            Assert.True(notify.WaitFor("READY=1", 1, TimeSpan.FromSeconds(30)), $"no READY=1: {string.Join(",", notify.Drain())} {Output()}");
            // WatchdogSec=2 → a notification about every second, for as long as the loop ticks.
            Assert.True(notify.WaitFor("WATCHDOG=1", 3, TimeSpan.FromSeconds(15)), $"WATCHDOG=1 stopped: {string.Join(",", notify.Drain())} {Output()}");
            RobotCli.Signal(process, "TERM");
            Assert.True(process.WaitForExit(30_000), "the service did not stop after SIGTERM");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, Output());
        var messages = notify.Drain();
        Assert.Equal("READY=1", messages[0]);               // nothing before the loop runs...
        Assert.Contains("STOPPING=1", messages);             // ...and the stop is announced
        Assert.Single(messages, m => m == "READY=1");

        var run = Assert.Single(Directory.GetDirectories(runs)); // one folder per start
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        var r = json.RootElement;
        // The safe action (duty 0) was written before exit: the emulated motor is left with 0 V, not the policy's 0.5 duty.
        Assert.Equal(0.0, r.GetProperty("emulated_motor_voltage_at_exit").GetDouble());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("device_fault").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("loop_fault").ValueKind);
        // Three watchdog periods at 100 Hz: well over 100 ticks, each but the first completing a transition (bar stale readings).
        var ticks = r.GetProperty("ticks").GetInt64();
        Assert.True(ticks > 100, $"only {ticks} ticks");
        Assert.InRange(ticks - 1 - r.GetProperty("transitions").GetInt64(), 0, 2 * r.GetProperty("stale_ticks").GetInt64());
        Assert.True(File.Exists(Path.Combine(run, "timing.csv")));
        var log = await stdout;
        Assert.Contains("control loop running", log);
        Assert.Contains("<6>", log);                           // journald priority prefixes under systemd
    }

    [Fact]
    public void A_bad_policy_is_refused_before_the_service_starts_with_one_line()
    {
        using var dir = new TempDirectory();
        var policy = Path.Combine(dir.Path, "policy.rdpolicy");
        File.WriteAllText(policy, "not a policy");
        var config = Path.Combine(dir.Path, "robot.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["RoboDdpg"] = new Dictionary<string, object> { ["Robot"] = Hat, ["Policy"] = "policy.rdpolicy", ["Emulate"] = true, ["Output"] = "runs" },
        }));
        var result = RobotCli.Run("service", "--config", config);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"roboddpg-robot: {policy}", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "runs"))); // refused before anything was opened
    }

    [Fact]
    public void An_unknown_configuration_key_is_named()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "robot.json");
        File.WriteAllText(config, """{ "RoboDdpg": { "Robot": "r.json", "Policy": "p.rdpolicy", "Hertz": 50 } }""");
        var result = RobotCli.Run("service", "--config", config);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"roboddpg-robot: {config}: ", result.Stderr);
        Assert.Contains("Hertz", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));

        var missing = RobotCli.Run("service", "--config", Path.Combine(dir.Path, "none.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("configuration file not found", missing.Stderr);
    }
}
