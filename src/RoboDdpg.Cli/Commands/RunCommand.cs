using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RoboDdpg.Cli.Output;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Robot;
#if !ROBOT
using RoboDdpg.Learning;
using RoboDdpg.Learning.Online;
using RoboDdpg.Learning.Training;
#endif
using Spectre.Console;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg run</c>: the real-time control loop on a twin paced in wall-clock time (one twin step per tick) or on a
/// described robot (<c>--robot</c>), with an optional concurrent learner. <c>roboddpg hil</c> is the same loop for a
/// robot, on its real buses or (<c>--emulate</c>) on emulated devices driven by its twin. Live status; writes timing
/// histograms, device health and, when learning, the policy and a checkpoint. The robot build (<c>ROBOT</c>, no
/// TorchSharp) compiles this file without the learning options: it runs a saved policy.
/// </summary>
internal static class RunCommand
{
    public static Command Create() => Build(hil: false);

    public static Command CreateHil() => Build(hil: true);

    private static Command Build(bool hil)
    {
        var env = OptionFactory.Environment();
        var hz = OptionFactory.InRange("--hz", "control rate in ticks per second (default: the environment's own rate)", 0, 0, RealtimeLoopOptions.MaxRateHz);
        var policy = OptionFactory.Create<string?>("--policy", "policy file to run (with --learn: the starting actor)", null);
        var seconds = OptionFactory.InRange("--seconds", "run time (default: until Ctrl+C)", 0, 0, 1e9);
        var maxTransitions = OptionFactory.AtLeast("--max-transitions", "stop after this many transitions (e.g. a fine-tuning budget; 0: no limit)", 0L, 0L);
        var output = OptionFactory.Create<string?>("--out", "output folder (default: runs/run-<env>-<time>)", null);
        var seed = OptionFactory.Create("--seed", "seed of resets, exploration, warm-up actions and sampling", 1UL);
#if !ROBOT
        var ddpgDefaults = new DdpgOptions();
        var learn = OptionFactory.Create("--learn", "train online while the loop runs", false);
        var pretrained = OptionFactory.Create<string?>("--pretrained", "with --learn: start from a training run's actor AND critic (its folder or checkpoint file) and fine-tune", null);
        var sigma = OptionFactory.InRange("--noise-sigma", "exploration noise σ as a fraction of the action half-range (with --learn)", ddpgDefaults.NoiseSigma, 0, 10);
        var warmup = OptionFactory.AtLeast("--warmup", "transitions with uniform random actions before the policy acts (with --learn, without --policy)", ddpgDefaults.WarmupSteps, 0);
        var utd = OptionFactory.InRange("--utd", "learner updates per recorded transition", ddpgDefaults.UpdatesPerStep, 0, 64, minimumExclusive: true);
        var publishEvery = OptionFactory.AtLeast("--publish-every", "learner updates between policy snapshots", new LearnerOptions().PublishEvery, 1);
        var threads = OptionFactory.AtLeast("--threads", "TorchSharp threads of the learner", ddpgDefaults.Threads, 1);
        var actorLr = OptionFactory.InRange("--actor-lr", "actor Adam learning rate (lower it to fine-tune gently)", ddpgDefaults.ActorLearningRate, 0, 1, minimumExclusive: true);
        var criticLr = OptionFactory.InRange("--critic-lr", "critic Adam learning rate", ddpgDefaults.CriticLearningRate, 0, 1, minimumExclusive: true);
        var pretrainedReplay = OptionFactory.Create("--pretrained-replay", "with --pretrained: start from its replay buffer too (old experience mixed with the new)", false);
        Option[] learning = [learn, pretrained, pretrainedReplay, sigma, warmup, utd, publishEvery, threads, actorLr, criticLr];
#else
        Option[] learning = [];
#endif
        var pacing = new LoopOptionSet();
        var maxDelta = OptionFactory.InRange("--max-delta", "safety: largest action change per tick in action units (0: no rate limit)", 0, 0, 1e9);
        var watchdog = OptionFactory.AtLeast("--watchdog-ticks", "safety: ticks without a fresh observation before the safe action", new SafetyOptions().WatchdogTicks, 1);
        var estopFile = OptionFactory.Create<string?>("--estop-file", "e-stop input: while this file exists the loop writes the safe action; learning stops until the next run", null);
        var plain = OptionFactory.Create("--no-progress", "plain status lines instead of the live table", false);
        var plantOptions = new PlantOptionSet();
        var recordTrace = OptionFactory.Create<string?>("--record-trace", "record every episode as a trace CSV (start state, actions, outputs; twin-check and fit read it), kept on Ctrl+C", null);

        var command = hil
            ? new Command("hil", "run the control loop on a described robot: its real devices, or emulated ones (--emulate) running the real drivers")
            : new Command("run", "run the real-time control loop on a twin or a described robot, optionally learning online");
        Option[] twin = hil ? [] : [env];
        Option[] common = [plantOptions.Robot, plantOptions.Emulate, hz, policy, seconds, maxTransitions, output, seed, maxDelta, watchdog, estopFile, plain, recordTrace];
        foreach (var option in (Option[])[.. twin, .. common, .. learning]) command.Options.Add(option);
        pacing.AddTo(command);
        command.SetAction(parse =>
        {
            var policyPath = parse.GetValue(policy);
#if ROBOT
            if (policyPath is null) throw new CliError($"{command.Name} needs --policy FILE (this robot build runs saved policies; learning is in the PC build, roboddpg)");
#else
            var learning = parse.GetValue(learn);
            if (policyPath is null && !learning) throw new CliError($"{command.Name} needs --policy FILE, --learn, or both");
            var pretrainedPath = parse.GetValue(pretrained) is { } p ? (Directory.Exists(p) ? Path.Combine(p, TrainingRun.CheckpointFileName) : p) : null;
            if (parse.GetValue(pretrainedReplay) && pretrainedPath is null) throw new CliError("--pretrained-replay needs --pretrained DIR");
            if (pretrainedPath is not null && (!learning || policyPath is not null))
                throw new CliError("--pretrained starts learning from a checkpoint's networks: use it with --learn and without --policy");
#endif
            if (hil && parse.GetValue(plantOptions.Robot) is null) throw new CliError("hil needs --robot FILE (a robot description; see hardware/README.md)");
            var robotPath = plantOptions.RobotPath(parse, hil ? null : env);

            // A policy file is checked before any device is opened or moved.
            MlpPolicy? loaded = null;
            PolicyMetadata? metadata = null;
            if (policyPath is not null) (loaded, metadata) = PolicyFile.Load(policyPath);

            using var plant = plantOptions.Open(parse, robotPath, env);
            var envName = plant.Name;
            // With --record-trace the loop drives the plant through a recorder; the trace is completed after the loop stops.
            using var recorder = parse.GetValue(recordTrace) is { } tracePath
                ? plant.Environment is RoboDdpg.Core.Traces.ITraceRecordable recordable
                    ? new TraceRecording(recordable, TraceFiles.Create(tracePath, recordable.TraceSchema, "--record-trace"))
                    : throw new CliError($"--record-trace: '{envName}' cannot report trace states and outputs (its environment does not implement ITraceRecordable)")
                : null;
            var environment = recorder?.Environment ?? plant.Environment;
            var spec = environment.Spec;
            var rate = parse.GetValue(hz) is > 0 and var r ? r : 1.0 / spec.ControlPeriodSeconds;
            if (loaded is not null) plant.Check(policyPath!, loaded, metadata!);
#if ROBOT
            var randomActions = 0;
#else
            var hidden = new DdpgOptions().HiddenSizes;
            if (pretrainedPath is not null)
            {
                var (trainedOn, pretrainedDdpg) = CheckpointFile.ReadNetworkSettings(pretrainedPath);
                hidden = pretrainedDdpg.HiddenSizes;
                Console.WriteLine($"fine-tuning from {pretrainedPath} (trained on '{trainedOn}', hidden {string.Join(",", hidden)})");
            }

            // Statistics start once the random-action warm-up is over and the policy path has run for a while.
            var randomActions = learning && policyPath is null && pretrainedPath is null ? parse.GetValue(warmup) : 0;
#endif
            var loopOptions = pacing.Build(parse, rate, warmupTicks: randomActions + 100);
            var safetyOptions = new SafetyOptions
            {
                MaxDeltaPerTick = parse.GetValue(maxDelta) > 0 ? [(float)parse.GetValue(maxDelta)] : null,
                WatchdogTicks = parse.GetValue(watchdog),
            };

            var outPath = parse.GetValue(output) ?? Path.Combine("runs", $"{command.Name}-{envName}-{DateTime.Now:yyyyMMdd-HHmmss}");
            var runSeed = parse.GetValue(seed);
#if ROBOT
            var outDir = OutputDirectory.Prepare(outPath, [.. TimingPlot.FileNames, Session.SummaryFileName]);
            using var session = new Session(envName, plant, loaded!, runSeed, safetyOptions, loopOptions, parse.GetValue(estopFile), recorder?.Environment);
#else
            var outDir = TrainingRun.PrepareOutput(outPath, allowExistingRun: false);
            var ddpg = new DdpgOptions { HiddenSizes = hidden, Threads = parse.GetValue(threads),
                ActorLearningRate = parse.GetValue(actorLr), CriticLearningRate = parse.GetValue(criticLr), NoiseSigma = parse.GetValue(sigma), WarmupSteps = parse.GetValue(warmup), UpdatesPerStep = parse.GetValue(utd) };
            using var session = new Session(envName, plant, loaded, learning, ddpg, runSeed, parse.GetValue(publishEvery), safetyOptions, loopOptions,
                parse.GetValue(estopFile), pretrainedPath, parse.GetValue(pretrainedReplay), recorder?.Environment);
#endif
            session.MaxTransitions = parse.GetValue(maxTransitions);
            var exitCode = session.Run(outDir, parse.GetValue(seconds), parse.GetValue(plain) || !AnsiConsole.Profile.Capabilities.Interactive);
            if (recorder is not null)
            {
                recorder.Writer.Complete();
                AnsiConsole.MarkupLineInterpolated($"wrote [blue]{recorder.Writer.Path}[/]: {recorder.Writer.Cases} cases, {recorder.Writer.Steps} steps");
            }
            return exitCode;
        });
        return command;
    }

    /// <summary>A plant wrapped so that the loop's episodes go to a trace file; disposing completes the file.</summary>
    private sealed class TraceRecording(RoboDdpg.Core.Traces.ITraceRecordable plant, RoboDdpg.Core.Traces.TraceWriter writer) : IDisposable
    {
        public RoboDdpg.Core.Traces.TraceWriter Writer { get; } = writer;

        /// <summary>The recorder the loop drives (real-time plants stay real-time).</summary>
        public IEnvironment Environment { get; } = RoboDdpg.Core.Traces.TraceRecordingEnvironment.For(plant, writer);

        public void Dispose() => Writer.Dispose();
    }

    /// <summary>One run: loop, optional learner, status display, outputs. The robot build's <c>service</c> runs it too.</summary>
    internal sealed class Session : IDisposable
    {
        public const string SummaryFileName = "run.json";

        private readonly string _envName;
        private readonly IEnvironment _environment;
        private readonly HardwareEnvironment? _robot;
        private readonly RoboDdpg.Hil.EmulatedRobot? _emulation;
        private readonly ulong _seed;
        private readonly RealtimeLoopOptions _loopOptions;
        private readonly ControlLoop _control;
        private readonly string? _estopFile;
#if ROBOT
        private const bool _learning = false;

        /// <param name="recording">The plant wrapped by a trace recorder (<c>--record-trace</c>), or null.</param>
        public Session(string envName, Plant plant, MlpPolicy policy, ulong seed, SafetyOptions safety, RealtimeLoopOptions loopOptions,
            string? estopFile, IEnvironment? recording)
            : this(envName, plant, seed, loopOptions, estopFile, recording) =>
            _control = ControlLoop.ForPolicy(_environment, policy, safety, seed, settleTicks: plant.Robot?.Description.SettleTicks ?? 0);

        public void Dispose() { }
#else
        private readonly bool _learning;
        private readonly DdpgOptions _ddpg;
        private readonly OnlineAgent _agent;
        private readonly LearnerThread? _learnerThread;

        /// <param name="recording">The plant wrapped by a trace recorder (<c>--record-trace</c>), or null.</param>
        public Session(string envName, Plant plant, MlpPolicy? loaded, bool learning, DdpgOptions ddpg, ulong seed,
            int publishEvery, SafetyOptions safety, RealtimeLoopOptions loopOptions, string? estopFile, string? pretrained,
            bool pretrainedReplay, IEnvironment? recording = null)
            : this(envName, plant, seed, loopOptions, estopFile, recording)
        {
            var environment = _environment;
            _learning = learning;
            _ddpg = ddpg;
            var learnerOptions = new LearnerOptions
            {
                UpdatesPerTransition = ddpg.UpdatesPerStep,
                WarmupTransitions = Math.Max(ddpg.WarmupSteps, ddpg.BatchSize),
                PublishEvery = publishEvery,
                TorchThreads = ddpg.Threads,
            };
            _agent = OnlineAgent.Create(environment, loaded, learning, ddpg, learnerOptions, safety, seed, pretrained,
                settleTicks: plant.Robot?.Description.SettleTicks ?? 0, pretrainedReplay: pretrainedReplay);
            _control = _agent.Control;
            _learnerThread = _agent.Learner;
        }

        public void Dispose() => _agent.Dispose();
#endif

        private Session(string envName, Plant plant, ulong seed, RealtimeLoopOptions loopOptions, string? estopFile, IEnvironment? recording)
        {
            _envName = envName;
            _environment = recording ?? plant.Environment;
            _robot = plant.Robot;
            _emulation = plant.Emulation;
            _seed = seed;
            _loopOptions = loopOptions;
            _estopFile = estopFile;
            // Set by the public constructor:
            _control = null!;
#if !ROBOT
            _agent = null!;
            _ddpg = null!;
#endif
        }

        /// <summary>Stop once the loop has completed this many transitions (0: no limit); checked every 5 ms.</summary>
        public long MaxTransitions { get; set; }

        /// <param name="stopToken">Requests the stop instead of Ctrl+C/SIGTERM (a host that owns the signals); null: this method handles them.</param>
        /// <param name="supervise">Called with the running loop about every 100 ms (plain) or 250 ms from the watching thread, e.g. to feed a watchdog.</param>
        public int Run(string outDir, double seconds, bool plain, CancellationToken? stopToken = null, Action<RealtimeLoop>? supervise = null)
        {
            var console = AnsiConsole.Console;
            console.MarkupLineInterpolated($"[bold]roboddpg {(_robot is null ? "run" : "hil")}[/] {_envName} at {_loopOptions.RateHz:0.##} Hz ({LoopOptionSet.Describe(_loopOptions)}){(_learning ? ", learning online" : "")}, output [blue]{outDir}[/] (Ctrl+C stops and saves)");
            using var signal = stopToken is null ? new StopSignal() : null;
            var stop = stopToken ?? signal!.Token;
            var clock = Stopwatch.StartNew();
            using var loop = new RealtimeLoop(_control, _loopOptions);
            Exception? loopFault = null;
            try
            {
                loop.Start();
                _emulation?.Faults.Start(); // scheduled faults count from the loop's start
#if !ROBOT
                _learnerThread?.Start();
#endif
                var deadline = seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
                Watch(console, loop, clock, deadline, stop, plain, supervise);
            }
            finally
            {
                try { loop.Stop(); } catch (RealtimeLoopFaultException e) { loopFault = e; }
#if !ROBOT
                _learnerThread?.Stop(); // join before anything else touches TorchSharp or the process ends
#endif
                _environment.Deactivate();
            }

            var stats = loop.Stats;
            var jitter = new LatencyHistogram();
            var compute = new LatencyHistogram();
            loop.CopyJitterHistogram(jitter);
            loop.CopyComputeHistogram(compute);
            var files = new List<string>(TimingPlot.Save(outDir, jitter, compute, _loopOptions.RateHz)) { SummaryFileName };
#if !ROBOT
            if (_learning)
            {
                var networks = _agent.Networks!;
                var replay = _agent.Replay!;
                PolicyFile.Save(Path.Combine(outDir, TrainingRun.PolicyFileName), networks.ExportPolicy(),
                    new PolicyMetadata(_envName, _environment.Spec.Observation.Names, _environment.Spec.Action.Names, DateTimeOffset.UtcNow, replay.TotalAdded));
                CheckpointFile.SaveOnline(Path.Combine(outDir, TrainingRun.CheckpointFileName), _envName, _ddpg, networks, replay,
                    _control.Status.Episodes, _seed, _learnerThread!.Random.GetState(), _agent.Noise!.GetState(), clock.Elapsed.TotalSeconds);
                files.Add(TrainingRun.PolicyFileName);
                files.Add(TrainingRun.CheckpointFileName);
            }
#endif
            WriteSummary(outDir, stats, clock.Elapsed.TotalSeconds, loopFault);
            console.MarkupLineInterpolated($"{Describe(stats)}");
            console.MarkupLineInterpolated($"wrote [blue]{outDir}[/]: {string.Join(", ", files)}");
#if !ROBOT
            if (_learnerThread?.Fault is { } fault)
                console.MarkupLineInterpolated($"[red]learning stopped[/]: {fault.Message} (the loop kept running on the last good policy)");
#endif
            if (_robot is not null) PrintDevices(console);
            if (_control.Status.Fault is { } deviceFault)
            {
                Console.Error.WriteLine($"roboddpg: stopped by a device fault: {deviceFault} (safe action written, learning halted, everything recorded was saved)");
                return ExitCodes.DeviceFault;
            }
            if (loopFault is not null)
            {
                Console.Error.WriteLine($"roboddpg: control loop stopped by a fault: {loopFault.InnerException?.Message ?? loopFault.Message} (safe action written)");
                return ExitCodes.InternalError;
            }
            return stop.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
        }

        private void Watch(IAnsiConsole console, RealtimeLoop loop, Stopwatch clock, TimeSpan deadline, CancellationToken cancellation, bool plain, Action<RealtimeLoop>? supervise)
        {
            bool Done() => cancellation.IsCancellationRequested || clock.Elapsed >= deadline || loop.Fault is not null || _control.Status.Fault is not null
                           || (MaxTransitions > 0 && _control.Status.Transitions >= MaxTransitions);
            void Supervise()
            {
                supervise?.Invoke(loop);
                // The e-stop input is polled here, off the loop thread: the loop only reads one volatile flag per tick.
                if (_estopFile is not null)
                {
                    var pressed = File.Exists(_estopFile);
                    if (pressed && !_control.Safety.EmergencyStopped) _control.Safety.EngageEmergencyStop($"e-stop file {_estopFile} present");
                    else if (!pressed && _control.Safety.EmergencyStopped) _control.Safety.ReleaseEmergencyStop();
                }
#if !ROBOT
                if (_control.Safety.LearningHalted && _learnerThread?.State == LearnerState.Running) _learnerThread.Pause();
#endif
            }

            // A transition budget is checked often enough to stop within a few ticks of it.
            var poll = MaxTransitions > 0 ? 5 : 100;
            if (plain)
            {
                var nextLine = TimeSpan.FromSeconds(5);
                while (!Done())
                {
                    Supervise();
                    if (clock.Elapsed >= nextLine)
                    {
                        Console.WriteLine(StatusLine(loop.Stats));
                        nextLine += TimeSpan.FromSeconds(5);
                    }
                    cancellation.WaitHandle.WaitOne(poll);
                }
                return;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("loop").AddColumn(new TableColumn("value").RightAligned());
            console.Live(table).Start(ctx =>
            {
                var nextRefresh = TimeSpan.Zero;
                while (!Done())
                {
                    Supervise();
                    if (clock.Elapsed >= nextRefresh)
                    {
                        Fill(table, loop.Stats, clock.Elapsed);
                        ctx.Refresh();
                        nextRefresh = clock.Elapsed + TimeSpan.FromMilliseconds(250);
                    }
                    cancellation.WaitHandle.WaitOne(poll);
                }
                Fill(table, loop.Stats, clock.Elapsed);
                ctx.Refresh();
            });
        }

        private void Fill(Table table, RealtimeLoopStats stats, TimeSpan elapsed)
        {
            var status = _control.Status;
            var safety = _control.Safety.Counters;
            table.Rows.Clear();
            table.AddRow("elapsed", $"{elapsed:hh\\:mm\\:ss}");
            table.AddRow("ticks", $"{stats.TotalTicks} ({stats.AchievedRateHz:0.#} Hz achieved)");
            table.AddRow("start jitter p50 / p99 / max", $"{stats.Jitter.P50Nanoseconds / 1e3:0.#} / {stats.Jitter.P99Nanoseconds / 1e3:0.#} / {stats.Jitter.MaxNanoseconds / 1e3:0.#} µs");
            table.AddRow("compute p99", $"{stats.Compute.P99Nanoseconds / 1e3:0.#} µs");
            table.AddRow("overruns (missed ticks)", $"{stats.Overruns} ({stats.MissedTicks})");
            table.AddRow("episodes, last return", $"{status.Episodes}, {(status.LastEpisodeReturn is { } r ? r.ToString("F1", CultureInfo.InvariantCulture) : "–")}");
            if (_control.Safety.EmergencyStopped) table.AddRow("[red]E-STOP[/]", Markup.Escape(_control.Safety.EmergencyStopReason ?? "engaged"));
            table.AddRow("safety interventions", Markup.Escape($"{safety.Total} (clamp {safety.Clamped}, rate {safety.RateLimited}, NaN {safety.NonFinite}, watchdog {safety.Watchdog}, e-stop {safety.EmergencyStop})"));
#if !ROBOT
            if (_learnerThread is not null)
            {
                table.AddRow("learner", Markup.Escape($"{_learnerThread.State}, {_learnerThread.Updates} updates, {_learnerThread.UpdatesPerSecond:0} upd/s, policy v{status.PolicyVersion}"));
                if (_learnerThread.Fault is { } fault) table.AddRow("[red]learning stopped[/]", Markup.Escape(fault.Message));
            }
#endif
            table.AddRow("GC", $"{stats.GcCount} collections, max pause {stats.GcPauseMaxMilliseconds:0.###} ms");
            if (_robot is not null)
            {
                table.AddRow("device I/O per tick p50 / p99", $"read {_robot.ReadTime.Percentile(50) / 1e3:0.#} / {_robot.ReadTime.Percentile(99) / 1e3:0.#} µs, write {_robot.WriteTime.Percentile(50) / 1e3:0.#} / {_robot.WriteTime.Percentile(99) / 1e3:0.#} µs");
                table.AddRow("stale ticks", $"{status.StaleTicks}");
                foreach (var device in _robot.Health.Where(d => d.FailedExchanges > 0 || d.Retries > 0))
                    table.AddRow(Markup.Escape($"device {device.Device}"), Markup.Escape($"{device.FailedExchanges} failed, {device.Retries} retried, circuit opened {device.CircuitOpenings}×"));
            }
        }

        private void PrintDevices(IAnsiConsole console)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("device", "exchanges", "failed", "retried", "circuit opened", "last error");
            foreach (var d in _robot!.Health)
                table.AddRow(Markup.Escape(d.Device), $"{d.Exchanges}", $"{d.FailedExchanges}", $"{d.Retries}", $"{d.CircuitOpenings}", Markup.Escape(d.LastError ?? "–"));
            console.Write(table);
            if (_emulation is { Faults.Count: > 0 } emulation)
                console.MarkupLineInterpolated($"emulated faults: {emulation.Faults.Injected} injected, {emulation.Faults.Cleared} cleared; {_control.Safety.Counters.Watchdog + _control.Safety.Counters.EmergencyStop} ticks in the safe action");
        }

        private string StatusLine(RealtimeLoopStats stats)
        {
            var status = _control.Status;
#if ROBOT
            const string learner = "";
#else
            var learner = _learnerThread is null ? "" : $" | learner {_learnerThread.State} {_learnerThread.Updates} upd ({_learnerThread.UpdatesPerSecond:0}/s)";
#endif
            return string.Create(CultureInfo.InvariantCulture,
                $"ticks {stats.TotalTicks} | jitter p99 {stats.Jitter.P99Nanoseconds / 1e3:0.#} µs max {stats.Jitter.MaxNanoseconds / 1e3:0.#} µs | overruns {stats.Overruns} | episodes {status.Episodes} last {status.LastEpisodeReturn:0.#} | safety {_control.Safety.Counters.Total}{learner}");
        }

        private static string Describe(RealtimeLoopStats stats) => string.Create(CultureInfo.InvariantCulture,
            $"{stats.TotalTicks} ticks, jitter p99 {stats.Jitter.P99Nanoseconds / 1e3:0.#} µs, max {stats.Jitter.MaxNanoseconds / 1e3:0.#} µs, {stats.Overruns} overruns, GC max pause {stats.GcPauseMaxMilliseconds:0.###} ms, {stats.AllocatedBytes} B allocated on the loop thread");

        private void WriteSummary(string outDir, RealtimeLoopStats stats, double wallSeconds, Exception? loopFault)
        {
            var status = _control.Status;
            var safety = _control.Safety.Counters;
            var summary = new Dictionary<string, object?>
            {
                ["environment"] = _envName,
                ["rate_hz"] = _loopOptions.RateHz,
                ["wall_seconds"] = wallSeconds,
                ["ticks"] = stats.TotalTicks,
                ["jitter_p50_us"] = stats.Jitter.P50Nanoseconds / 1e3,
                ["jitter_p99_us"] = stats.Jitter.P99Nanoseconds / 1e3,
                ["jitter_max_us"] = stats.Jitter.MaxNanoseconds / 1e3,
                ["compute_p99_us"] = stats.Compute.P99Nanoseconds / 1e3,
                ["overruns"] = stats.Overruns,
                ["missed_ticks"] = stats.MissedTicks,
                ["loop_alloc_bytes"] = stats.AllocatedBytes,
                ["gc_count"] = stats.GcCount,
                ["gc_pause_max_ms"] = stats.GcPauseMaxMilliseconds,
                ["episodes"] = status.Episodes,
                ["last_episode_return"] = status.LastEpisodeReturn,
                ["transitions"] = status.Transitions,
                ["recorded"] = status.Recorded,
                ["policy_version"] = status.PolicyVersion,
#if !ROBOT
                ["learner_updates"] = _learnerThread?.Updates,
                ["learner_state"] = _learnerThread?.State.ToString(),
                ["learner_fault"] = _learnerThread?.Fault?.Message,
#endif
                ["safety_interventions"] = safety.Total,
                ["safety_clamped"] = safety.Clamped,
                ["safety_rate_limited"] = safety.RateLimited,
                ["safety_non_finite"] = safety.NonFinite,
                ["safety_watchdog"] = safety.Watchdog,
                ["safety_emergency_stop"] = safety.EmergencyStop,
                ["loop_fault"] = loopFault?.InnerException?.Message ?? loopFault?.Message,
                ["stale_ticks"] = status.StaleTicks,
                ["device_fault"] = status.Fault,
            };
            if (_robot is not null)
            {
                summary["io_read_us_p50"] = _robot.ReadTime.Percentile(50) / 1e3;
                summary["io_read_us_p99"] = _robot.ReadTime.Percentile(99) / 1e3;
                summary["io_read_us_max"] = _robot.ReadTime.Max / 1e3;
                summary["io_write_us_p50"] = _robot.WriteTime.Percentile(50) / 1e3;
                summary["io_write_us_p99"] = _robot.WriteTime.Percentile(99) / 1e3;
                summary["io_write_us_max"] = _robot.WriteTime.Max / 1e3;
                summary["safe_action_ticks"] = safety.Watchdog + safety.EmergencyStop;
                summary["faults_injected"] = _emulation?.Faults.Injected;
                summary["faults_cleared"] = _emulation?.Faults.Cleared;
                // What the emulated motor is left with after the stop: the safe action's voltage (0 V for duty 0).
                summary["emulated_motor_voltage_at_exit"] = _emulation?.Plant.Sample().Voltage;
                summary["devices"] = _robot.Health.Select(d => new Dictionary<string, object?>
                {
                    ["name"] = d.Device, ["exchanges"] = d.Exchanges, ["failed"] = d.FailedExchanges, ["retries"] = d.Retries,
                    ["circuit_openings"] = d.CircuitOpenings, ["last_error"] = d.LastError,
                }).ToList();
            }
            AtomicFile.WriteAllText(Path.Combine(outDir, SummaryFileName), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
    }
}
