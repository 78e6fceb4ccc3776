using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

/// <summary>
/// <c>roboddpg learner</c> and <c>roboddpg actor</c> as separate processes talking over MQTT. Small networks keep the
/// training runs short; the full-size 20 000-transition figures come from the CLI itself (see the fleet README).
/// </summary>
public sealed class FleetCommandTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A running CLI process whose output is collected in the background.</summary>
    private sealed class Running : IDisposable
    {
        private readonly Task<string> _stdout;
        private readonly Task<string> _stderr;

        public Running(params string[] args)
        {
            Process = Cli.Start(args);
            _stdout = Process.StandardOutput.ReadToEndAsync();
            _stderr = Process.StandardError.ReadToEndAsync();
        }

        public Process Process { get; }

        public Cli.Result Wait(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the process did not finish in {timeout.TotalSeconds} s: {_stdout.Result}\n{_stderr.Result}");
            }
            return new Cli.Result(Process.ExitCode, _stdout.Result, _stderr.Result);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static Running StartLearner(string outDir, string broker, string? listen, string fleet, params string[] more)
    {
        var args = new List<string> { "learner", "--env", "pendulum", "--out", outDir, "--fleet", fleet, "--hidden", "64,64", "--batch-size", "64", "--eval-episodes", "5" };
        if (listen is not null) args.AddRange(["--embedded-broker", "--listen", listen]);
        else args.AddRange(["--broker", broker]);
        args.AddRange(more);
        var learner = new Running([.. args]);
        var key = Path.Combine(outDir, "fleet.key");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(key) && !learner.Process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
        Assert.True(File.Exists(key), "the learner wrote no fleet key");
        return learner;
    }

    private static Running StartActor(string broker, string fleet, string key, string dir, string robot) =>
        new("actor", "--env", "pendulum", "--broker", broker, "--fleet", fleet, "--fleet-key", key, "--robot-id", robot, "--hz", "300",
            "--spool", Path.Combine(dir, "spool-" + robot), "--out", Path.Combine(dir, "actor-" + robot), "--seconds", "600");

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static void TrainsThePendulum(string broker, string? listen)
    {
        using var dir = new TempDirectory();
        var fleet = "cli" + Guid.NewGuid().ToString("N")[..8];
        var learnerDir = Path.Combine(dir.Path, "learner");
        using var learner = StartLearner(learnerDir, broker, listen, fleet, "--max-transitions", "20000", "--stop-at-return", "-200", "--eval-interval", "1000");
        using var actor = StartActor(broker, fleet, Path.Combine(learnerDir, "fleet.key"), dir.Path, "sim-1");

        var learned = learner.Wait(TimeSpan.FromMinutes(4));
        Signals.Send(actor.Process, "TERM");
        var acted = actor.Wait(TimeSpan.FromMinutes(1));

        Assert.True(learned.ExitCode == 0, learned.Stdout + learned.Stderr);
        var summary = ReadJson(Path.Combine(learnerDir, "learner.json"));
        Assert.True(summary.GetProperty("eval_mean_return").GetDouble() >= -200, learned.Stdout);
        var reached = summary.GetProperty("first_transitions_reaching_minus_200").GetInt64();
        Assert.InRange(reached, 1, 20_000);
        Assert.Equal(0, summary.GetProperty("missing").GetInt64());
        Assert.Equal(0, summary.GetProperty("malformed").GetInt64());
        var robot = summary.GetProperty("robots").EnumerateArray().Single();
        Assert.Equal("sim-1", robot.GetProperty("robot_id").GetString());
        Assert.Equal(summary.GetProperty("transitions").GetInt64(), robot.GetProperty("accepted").GetInt64());
        Assert.Contains("stopped: evaluation reached", learned.Stdout);
        Assert.True(File.Exists(Path.Combine(learnerDir, "policy.rdpolicy")));

        Assert.Equal(130, acted.ExitCode); // stopped by SIGTERM after saving its report
        var report = ReadJson(Path.Combine(dir.Path, "actor-sim-1", "actor.json"));
        Assert.True(report.GetProperty("policies_accepted").GetInt64() > 1);
        Assert.Equal(0, report.GetProperty("policies_refused").GetInt64());
    }

    [Fact]
    public void Actor_and_learner_processes_train_the_pendulum_through_the_embedded_broker()
    {
        var port = FreePort();
        TrainsThePendulum($"mqtt://127.0.0.1:{port}", $"127.0.0.1:{port}");
    }

    [Fact]
    [Trait("Category", "Fleet")]
    public void Actor_and_learner_processes_train_the_pendulum_through_mosquitto()
    {
        var port = int.TryParse(Environment.GetEnvironmentVariable("ROBODDPG_TEST_MQTT_PORT"), out var p) ? p : 18830;
        TrainsThePendulum($"mqtt://127.0.0.1:{port}", listen: null);
    }

    [Fact]
    public void A_restarted_learner_resumes_from_its_checkpoint_and_the_robot_loses_nothing_meanwhile()
    {
        using var dir = new TempDirectory();
        var port = FreePort();
        var broker = $"mqtt://127.0.0.1:{port}";
        var learnerDir = Path.Combine(dir.Path, "learner");
        string[] common = ["--eval-interval", "1000", "--checkpoint-interval", "500", "--warmup", "300"];
        JsonElement first;
        using (var learner = StartLearner(learnerDir, broker, $"127.0.0.1:{port}", "f", [.. common, "--max-transitions", "1200"]))
        {
            using var actor = StartActor(broker, "f", Path.Combine(learnerDir, "fleet.key"), dir.Path, "sim-1");
            var r1 = learner.Wait(TimeSpan.FromMinutes(2));
            Assert.True(r1.ExitCode == 0, r1.Stdout + r1.Stderr);
            first = ReadJson(Path.Combine(learnerDir, "learner.json"));

            // The robot keeps acting while its learner (and the embedded broker with it) is away, then meets the restarted one.
            Thread.Sleep(2000);
            using var learner2 = StartLearner(learnerDir, broker, $"127.0.0.1:{port}", "f", [.. common, "--max-transitions", "3000"]);
            var r2 = learner2.Wait(TimeSpan.FromMinutes(2));
            Assert.True(r2.ExitCode == 0, r2.Stdout + r2.Stderr);
            Assert.Contains("resumed at", r2.Stdout);
            Signals.Send(actor.Process, "TERM");
            actor.Wait(TimeSpan.FromMinutes(1));
        }

        var second = ReadJson(Path.Combine(learnerDir, "learner.json"));
        Assert.True(second.GetProperty("resumed").GetBoolean());
        Assert.Equal(first.GetProperty("learner_id").GetString(), second.GetProperty("learner_id").GetString());
        Assert.True(second.GetProperty("transitions").GetInt64() >= 3000);
        Assert.True(second.GetProperty("updates").GetInt64() > first.GetProperty("updates").GetInt64());
        Assert.True(second.GetProperty("policy_version").GetInt64() > first.GetProperty("policy_version").GetInt64());
        Assert.Equal(0, second.GetProperty("missing").GetInt64()); // the robot's spool covered the gap between the two learners
        var robot = second.GetProperty("robots").EnumerateArray().Single();
        Assert.Equal(second.GetProperty("transitions").GetInt64(), robot.GetProperty("accepted").GetInt64());
        var report = ReadJson(Path.Combine(dir.Path, "actor-sim-1", "actor.json"));
        Assert.True(report.GetProperty("spooled").GetInt64() > 0);
    }

    [Fact]
    public void A_killed_mqtt_sidecar_is_restarted_and_the_learner_still_gets_every_transition()
    {
        using var dir = new TempDirectory();
        var port = FreePort();
        var broker = $"mqtt://127.0.0.1:{port}";
        var learnerDir = Path.Combine(dir.Path, "learner");
        using var learner = StartLearner(learnerDir, broker, $"127.0.0.1:{port}", "k", "--eval-interval", "100000");
        using var actor = StartActor(broker, "k", Path.Combine(learnerDir, "fleet.key"), dir.Path, "sim-1");
        var clock = Stopwatch.StartNew();
        int[] children = [];
        while (children.Length == 0 && !actor.Process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(200);
            children = ChildProcesses(actor.Process.Id);
        }
        var sidecar = Assert.Single(children);
        Thread.Sleep(3000); // acting and streaming through the sidecar
        Assert.Equal([5], ThreadNiceness(sidecar)); // every thread of the sidecar yields to the loop's process
        Signals.Send(sidecar, "KILL");
        Thread.Sleep(5000); // restarted after 1 s; the ring kept what the loop recorded meanwhile
        var restarted = Assert.Single(ChildProcesses(actor.Process.Id));
        Assert.NotEqual(sidecar, restarted);
        Signals.Send(actor.Process, "TERM");
        var acted = actor.Wait(TimeSpan.FromMinutes(1));
        Assert.True(acted.ExitCode == 130, acted.Stdout + acted.Stderr);
        Assert.Contains($"the MQTT sidecar (pid {sidecar}) exited", acted.Stderr);
        Assert.False(Directory.Exists($"/proc/{restarted}"), "the sidecar outlived its actor");
        Signals.Send(learner.Process, "TERM");
        var learned = learner.Wait(TimeSpan.FromMinutes(1));
        Assert.True(learned.ExitCode == 130, learned.Stdout + learned.Stderr);

        var report = ReadJson(Path.Combine(dir.Path, "actor-sim-1", "actor.json"));
        Assert.Equal("sidecar", report.GetProperty("link").GetString());
        Assert.Equal(1, report.GetProperty("link_restarts").GetInt64());
        Assert.Equal(0, report.GetProperty("ring_dropped").GetInt64());
        Assert.Equal(0, report.GetProperty("gc_count").GetInt64()); // the loop's process collected nothing
        var recorded = report.GetProperty("transitions").GetInt64();
        var summary = ReadJson(Path.Combine(learnerDir, "learner.json"));
        var robot = summary.GetProperty("robots").EnumerateArray().Single();
        Assert.Equal(0, summary.GetProperty("missing").GetInt64());
        // Each sidecar numbers its own epoch, so the batch the killed one was sending when it died may arrive twice
        // (under both epochs), but nothing the loop recorded is lost.
        Assert.InRange(robot.GetProperty("accepted").GetInt64(), recorded, recorded + 256); // 256: the default largest batch
    }

    /// <summary>The distinct nice values of a process's threads (from /proc/PID/task/*/stat).</summary>
    private static int[] ThreadNiceness(int pid) =>
    [
        .. Directory.EnumerateDirectories($"/proc/{pid}/task").Select(task =>
        {
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
        }).Distinct(),
    ];

    /// <summary>Processes whose parent is <paramref name="pid"/> (from /proc/*/stat).</summary>
    private static int[] ChildProcesses(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == pid) children.Add(candidate);
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }
        return [.. children];
    }

    [Fact]
    [Trait("Category", "HIL")]
    public void A_described_robot_acts_for_a_learner_on_its_twin_until_a_lasting_device_fault_stops_it_with_exit_3()
    {
        using var dir = new TempDirectory();
        var port = FreePort();
        var broker = $"mqtt://127.0.0.1:{port}";
        // The HAT robot on emulated registers and encoder edges; its motor stops answering 4 s into the loop for good.
        var robot = HilCommandTests.Robot(dir, """[ { "device": "motor", "fault": "nack", "at_seconds": 4, "for_seconds": 600 } ]""", giveUpSeconds: 1);
        var learnerDir = Path.Combine(dir.Path, "learner");
        using var learner = new Running(["learner", "--env", "motor-pendulum", "--out", learnerDir, "--fleet", "hw", "--hidden", "32,32",
            "--batch-size", "32", "--warmup", "100", "--eval-interval", "100000", "--embedded-broker", "--listen", $"127.0.0.1:{port}"]);
        var key = Path.Combine(learnerDir, "fleet.key");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(key) && !learner.Process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
        Assert.True(File.Exists(key), "the learner wrote no fleet key");

        var actorDir = Path.Combine(dir.Path, "actor");
        var acted = Cli.Run("actor", "--robot", robot, "--emulate", "--broker", broker, "--fleet", "hw", "--fleet-key", key, "--robot-id", "arm-1",
            "--warmup", "100", "--spool", Path.Combine(dir.Path, "spool"), "--out", actorDir, "--seconds", "120");
        Thread.Sleep(1000); // the learner ingests the last batches
        Signals.Send(learner.Process, "TERM");
        var learned = learner.Wait(TimeSpan.FromMinutes(1));

        Assert.True(acted.ExitCode == 3, acted.Stdout + acted.Stderr);
        Assert.Contains("on pendulum-arm-hat", acted.Stdout);
        Assert.Contains("stopped by a device fault: device 'motor' has failed", acted.Stderr);
        var report = ReadJson(Path.Combine(actorDir, "actor.json"));
        Assert.Contains("motor", report.GetProperty("device_fault").GetString());
        var sent = report.GetProperty("sequence_next").GetInt64();
        Assert.InRange(sent, 250, 450); // ~4 s at 100 Hz less the episode settles and stale ticks: none recorded after the fault
        Assert.Equal(0, report.GetProperty("policies_refused").GetInt64());

        Assert.True(learned.ExitCode == 130, learned.Stdout + learned.Stderr);
        var summary = ReadJson(Path.Combine(learnerDir, "learner.json"));
        var arm = summary.GetProperty("robots").EnumerateArray().Single();
        Assert.Equal("arm-1", arm.GetProperty("robot_id").GetString());
        Assert.Equal(sent, arm.GetProperty("accepted").GetInt64()); // every transition the robot recorded, none lost
        Assert.Equal(0, summary.GetProperty("missing").GetInt64());
    }

    [Theory]
    [InlineData("actor --broker mqtt://127.0.0.1:1", "actor needs --fleet-key FILE")]
    [InlineData("actor --broker learner-pc:1883 --fleet-key KEY", "broker 'learner-pc:1883' is not a URI")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key BADKEY", "fleet key file must hold the key as hex text")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --robot-id a/b", "--robot-id 'a/b' is invalid")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --fleet a+b", "fleet name 'a+b' is invalid")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --policy-timeout 0.5", "no policy snapshot within 0.5 s: the broker mqtt://127.0.0.1:1 is unreachable")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --emulate", "--emulate needs --robot FILE")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --env pendulum --robot HAT", "give either --env or --robot, not both")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --learner-env pendulum", "--learner-env is for --robot")]
    [InlineData("actor --broker mqtt://127.0.0.1:1 --fleet-key KEY --robot missing.json --emulate", "missing.json")]
    [InlineData("learner --embedded-broker --listen nowhere", "--listen: 'nowhere' is not ADDRESS:PORT")]
    [InlineData("learner", "--broker URI is required")]
    [InlineData("learner --broker mqtt://127.0.0.1:1 --password-file KEY", "--password-file needs --username")]
    [InlineData("learner --broker mqtt://127.0.0.1:1 --ca-file KEY", "--ca-file is for TLS brokers")]
    public void Bad_fleet_inputs_are_one_line_errors(string arguments, string expected)
    {
        using var dir = new TempDirectory();
        var key = dir.Write("fleet.key", new string('a', 64));
        var bad = dir.Write("bad.key", "not hex");
        var hat = RepositoryFile.Locate("hardware/robots/pendulum-arm-hat.json");
        var args = arguments.Split(' ').Select(a => a == "KEY" ? key : a == "BADKEY" ? bad : a == "HAT" ? hat : a).ToList();
        args.AddRange(["--out", Path.Combine(dir.Path, "out")]);
        var result = Cli.Run([.. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        var errorLines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("roboddpg:", StringComparison.Ordinal)).ToList();
        Assert.Single(errorLines);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
