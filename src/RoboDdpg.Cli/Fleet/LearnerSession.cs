using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Replay;
using RoboDdpg.Fleet;
using RoboDdpg.Learning;
using RoboDdpg.Learning.Online;
using RoboDdpg.Learning.Training;
using RoboDdpg.Sim;

namespace RoboDdpg.Cli.Fleet;

/// <summary>What a fleet learner run is asked to do.</summary>
internal sealed record LearnerSettings(string Environment, FleetTopics Topics, string OutDir, DdpgOptions Ddpg, ulong Seed, LearnerOptions Learner,
    TimeSpan PublishInterval, long EvalInterval, int EvalEpisodes, long CheckpointInterval, long MaxTransitions, double? StopAtReturn, double Seconds);

/// <summary>The learner's identity and progress kept beside its checkpoint (fleet-learner.json).</summary>
internal sealed record LearnerProgress(string LearnerId, ulong PolicyVersion, long? FirstTransitionsReachingMinus200, double? BestEvalReturn, long Evaluations);

/// <summary>
/// One fleet learner run: the transition ingest (MQTT thread) fills the replay buffer, the learner thread trains
/// from it, and this thread publishes signed snapshots at most every publish interval, evaluates the policy on its own
/// twin, and writes checkpoints with ingest held off so replay buffer and duplicate accounting match.
/// </summary>
internal sealed class LearnerSession : IDisposable
{
    public const string KeyFileName = "fleet.key";
    public const string FleetStateFileName = "fleet-state.json";
    public const string ProgressFileName = "fleet-learner.json";
    public const string EvalsFileName = "evals.csv";
    public const string SummaryFileName = "learner.json";

    private readonly LearnerSettings _settings;
    private readonly EmbeddedBroker? _broker;
    private readonly IEnvironment _evalEnvironment;
    private readonly DdpgLearner _networks;
    private readonly ReplayBuffer _replay;
    private readonly PolicySnapshotExchange _snapshots;
    private readonly LearnerThread _learnerThread;
    private readonly TransitionIngestor _ingestor;
    private readonly FleetLearnerLink _link;
    private readonly ulong _learnerId;
    private readonly double _wallSecondsBefore;
    private readonly long _transitionsAtStart;
    private ulong _policyVersion;
    private long? _firstReachingMinus200;
    private double? _bestEval;
    private long _evaluations;
    private EvaluationResult? _lastEval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public LearnerSession(LearnerSettings settings, FleetKey key, BrokerOptions broker, EmbeddedBrokerOptions? embedded)
    {
        _settings = settings;
        var checkpoint = Path.Combine(settings.OutDir, TrainingRun.CheckpointFileName);
        _evalEnvironment = Twins.Create(settings.Environment, new TwinSettings()).Start();
        var spec = _evalEnvironment.Spec;
        var ddpg = settings.Ddpg;
        OnlineCheckpointState? resumed = null;
        if (File.Exists(checkpoint))
        {
            resumed = CheckpointFile.ReadOnline(checkpoint);
            if (resumed.Environment != settings.Environment)
                throw new CliError($"{settings.OutDir}: holds a learner for '{resumed.Environment}', not '{settings.Environment}'; choose another --out");
            ddpg = resumed.Ddpg; // the networks' shapes and hyperparameters come from the checkpoint
        }
        else
        {
            TorchSharp.torch.manual_seed((long)(settings.Seed & long.MaxValue));
        }

        _networks = DdpgLearner.For(spec, ddpg);
        try
        {
            if (resumed is not null)
            {
                CheckpointFile.LoadOnline(checkpoint, _networks, out _replay);
                var progress = ReadProgress(settings.OutDir);
                _learnerId = ulong.Parse(progress.LearnerId, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                _policyVersion = progress.PolicyVersion;
                _firstReachingMinus200 = progress.FirstTransitionsReachingMinus200;
                _bestEval = progress.BestEvalReturn;
                _evaluations = progress.Evaluations;
                _wallSecondsBefore = resumed.WallSeconds;
            }
            else
            {
                _replay = new ReplayBuffer(ddpg.ReplayCapacity, spec.ObservationSize, spec.ActionSize);
                _learnerId = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
            }
            _transitionsAtStart = _replay.TotalAdded;
            _ingestor = new TransitionIngestor(settings.Topics, _replay, Log);
            if (resumed is not null)
            {
                var statePath = Path.Combine(settings.OutDir, FleetStateFileName);
                if (File.Exists(statePath)) _ingestor.LoadState(statePath);
                if (_ingestor.Accepted != _replay.TotalAdded)
                    Log($"the duplicate accounting ({_ingestor.Accepted} transitions) and the checkpoint ({_replay.TotalAdded}) differ: the learner stopped between writing them");
            }

            var initial = _networks.ExportPolicy();
            _snapshots = new PolicySnapshotExchange(initial, initial.Clone);
            // A resumed learner trains on new data from where it stopped instead of catching up on the whole buffer at once.
            var warmup = Math.Max(Math.Max(ddpg.WarmupSteps, ddpg.BatchSize), resumed is null ? 0 : _replay.TotalAdded);
            _learnerThread = new LearnerThread(_networks, _replay, _snapshots, settings.Learner with { WarmupTransitions = (int)Math.Min(int.MaxValue, warmup) },
                settings.Seed ^ 0x1ea7);
            if (resumed is not null) _learnerThread.Random.SetState(resumed.LearnerRng);

            if (embedded is not null)
            {
                _broker = EmbeddedBroker.Start(embedded);
                Log($"embedded broker listening on {embedded.BindAddress}:{embedded.Port}");
            }
            _link = new FleetLearnerLink(broker, settings.Topics, key, _ingestor, Log);
        }
        catch
        {
            _broker?.Dispose();
            _networks.Dispose();
            _evalEnvironment.Dispose();
            throw;
        }
        Resumed = resumed is not null;
    }

    public bool Resumed { get; }

    /// <summary>The key from --fleet-key, else the one in the output folder, else a new one written there.</summary>
    public static FleetKey LoadOrCreateKey(string? path, string outDir)
    {
        if (path is not null) return FleetKey.Load(path);
        var own = Path.Combine(outDir, KeyFileName);
        if (File.Exists(own)) return FleetKey.Load(own);
        var key = FleetKey.Generate();
        key.Save(own);
        Log($"generated a fleet key: {own} (give it to every robot: actor --fleet-key FILE)");
        return key;
    }

    private static void Log(string message) => Console.Error.WriteLine($"learner: {message}");

    public int Run()
    {
        var s = _settings;
        Console.WriteLine($"roboddpg learner: {s.Environment}, fleet '{s.Topics.Fleet}' via {_link.Link.Broker.Uri}{(_broker is null ? "" : " (embedded)")}, " +
                          $"output {s.OutDir}{(Resumed ? $", resumed at {_replay.TotalAdded} transitions, policy v{_policyVersion}" : "")} (Ctrl+C stops and saves)");
        using var stop = new StopSignal();
        _link.Start();
        if (!_link.Link.WaitConnected(TimeSpan.FromSeconds(10), stop.Token))
            Log($"not connected to {_link.Link.Broker.Uri} yet ({_link.Link.LastError ?? "no answer"}); still trying");

        var published = long.MinValue;
        TimeSpan? lastPublish = null;
        var nextEval = (_replay.TotalAdded / s.EvalInterval + 1) * s.EvalInterval;
        var nextCheckpoint = (_replay.TotalAdded / s.CheckpointInterval + 1) * s.CheckpointInterval;
        var nextLine = TimeSpan.FromSeconds(5);
        var deadline = s.Seconds > 0 ? TimeSpan.FromSeconds(s.Seconds) : TimeSpan.MaxValue;
        string? stopReason = null;
        var reachedTarget = false;
        _learnerThread.Start();
        while (stopReason is null)
        {
            // The newest snapshot of the learner thread; this thread is the exchange's only reader, so the policy
            // stays untouched until the next Acquire.
            var policy = _snapshots.Acquire(out var local);
            if (local != published && (lastPublish is null || _clock.Elapsed - lastPublish >= s.PublishInterval) && _link.Link.IsConnected)
            {
                var info = new PolicySnapshotInfo(_learnerId, _policyVersion + 1, (ulong)_networks.Updates, (ulong)_replay.TotalAdded,
                    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), s.Environment);
                if (_link.PublishPolicy(policy, info))
                {
                    _policyVersion++;
                    published = local;
                    lastPublish = _clock.Elapsed;
                }
            }

            var transitions = _replay.TotalAdded;
            if (transitions >= nextEval)
            {
                Evaluate(policy, transitions);
                nextEval = (transitions / s.EvalInterval + 1) * s.EvalInterval;
                if (s.StopAtReturn is { } target && _lastEval!.Mean >= target)
                {
                    stopReason = $"evaluation reached {_lastEval.Mean:0.#} ≥ {target}";
                    reachedTarget = true;
                }
            }
            if (transitions >= nextCheckpoint)
            {
                SaveCheckpoint();
                nextCheckpoint = (transitions / s.CheckpointInterval + 1) * s.CheckpointInterval;
            }
            if (s.MaxTransitions > 0 && transitions >= s.MaxTransitions) stopReason = $"{transitions} transitions ingested";
            if (_learnerThread.State == LearnerState.Faulted) stopReason = $"learning stopped: {_learnerThread.Fault?.Message}";
            if (stop.Requested) stopReason = "interrupted";
            if (_clock.Elapsed >= deadline) stopReason = "time is up";
            if (_clock.Elapsed >= nextLine)
            {
                Console.WriteLine(StatusLine());
                _link.PublishStatus(Summary("learning"));
                nextLine += TimeSpan.FromSeconds(5);
            }
            stop.Token.WaitHandle.WaitOne(10);
        }

        _learnerThread.Stop();
        // Stop ingesting before the final checkpoint, so it holds everything the learner acknowledged. A standalone
        // broker keeps queueing for this learner's persistent session; the embedded one first refuses new
        // transitions (robots spool them) and lets what it already accepted reach the learner.
        _link.PublishStatus(Summary("stopping"));
        var lastStatus = StatusLine();
        if (_broker is not null)
        {
            _broker.RefusePublishes(s.Topics.Prefix + "transitions/");
            Thread.Sleep(500);
        }
        _link.Dispose();
        // Stopped by reaching the target return: the policy file is the snapshot that was evaluated (the learner may
        // have taken a few more updates meanwhile). Otherwise the final actor, evaluated once more.
        MlpPolicy final;
        if (reachedTarget) final = _lastEvalPolicy!;
        else
        {
            final = _networks.ExportPolicy();
            if (_lastEval is null || _replay.TotalAdded != _lastEvalTransitions || _networks.Updates != _lastEvalUpdates) Evaluate(final, _replay.TotalAdded);
        }
        SaveCheckpoint();
        PolicyFile.Save(Path.Combine(s.OutDir, TrainingRun.PolicyFileName), final,
            new PolicyMetadata(s.Environment, _evalEnvironment.Spec.Observation.Names, _evalEnvironment.Spec.Action.Names, DateTimeOffset.UtcNow, _replay.TotalAdded));
        var summary = Summary("stopped");
        summary["stop_reason"] = stopReason;
        AtomicFile.WriteAllText(Path.Combine(s.OutDir, SummaryFileName), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine(lastStatus);
        Console.WriteLine($"stopped: {stopReason}; wrote {s.OutDir}: {SummaryFileName}, {EvalsFileName}, {TrainingRun.PolicyFileName}, {TrainingRun.CheckpointFileName}, {FleetStateFileName}");
        if (_learnerThread.Fault is { } fault) Console.Error.WriteLine($"roboddpg: learning stopped: {fault.Message}");
        return stop.Requested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    private long _lastEvalTransitions = -1;
    private long _lastEvalUpdates = -1;
    private MlpPolicy? _lastEvalPolicy;

    private void Evaluate(MlpPolicy policy, long transitions)
    {
        var result = PolicyEvaluator.Evaluate(_evalEnvironment, policy, _settings.EvalEpisodes, PolicyEvaluator.DefaultSeed);
        _lastEval = result;
        _lastEvalTransitions = transitions;
        _lastEvalUpdates = _networks.Updates;
        _lastEvalPolicy = policy.Clone();
        _evaluations++;
        if (_bestEval is null || result.Mean > _bestEval) _bestEval = result.Mean;
        if (result.Mean >= -200 && _firstReachingMinus200 is null) _firstReachingMinus200 = transitions;
        var path = Path.Combine(_settings.OutDir, EvalsFileName);
        if (!File.Exists(path)) File.WriteAllText(path, "transitions,updates,policy_version,mean_return,std_return,wall_seconds\n");
        File.AppendAllText(path, string.Create(CultureInfo.InvariantCulture,
            $"{transitions},{_networks.Updates},{_policyVersion},{result.Mean:0.###},{result.StdDev:0.###},{WallSeconds:0.###}\n"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eval at {transitions} transitions, {_networks.Updates} updates: {result.Mean:0.#} ± {result.StdDev:0.#}"));
    }

    private double WallSeconds => _wallSecondsBefore + _clock.Elapsed.TotalSeconds;

    /// <summary>Checkpoint, duplicate accounting and progress, written with the learner paused and ingest held off.</summary>
    private void SaveCheckpoint()
    {
        var wasRunning = _learnerThread.State == LearnerState.Running;
        if (wasRunning)
        {
            _learnerThread.Pause();
            var waited = Stopwatch.StartNew();
            while (_learnerThread.State == LearnerState.Running && waited.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(1);
        }
        var dir = _settings.OutDir;
        _ingestor.RunExclusive(() =>
        {
            CheckpointFile.SaveOnline(Path.Combine(dir, TrainingRun.CheckpointFileName), _settings.Environment, _networks.Options, _networks, _replay,
                0, _settings.Seed, _learnerThread.Random.GetState(), [], WallSeconds);
            _ingestor.SaveState(Path.Combine(dir, FleetStateFileName));
            var progress = new LearnerProgress(_learnerId.ToString("x16", CultureInfo.InvariantCulture), _policyVersion, _firstReachingMinus200, _bestEval, _evaluations);
            AtomicFile.WriteAllText(Path.Combine(dir, ProgressFileName), JsonSerializer.Serialize(progress) + "\n");
        });
        if (wasRunning) _learnerThread.Resume();
    }

    private static LearnerProgress ReadProgress(string outDir)
    {
        var path = Path.Combine(outDir, ProgressFileName);
        try
        {
            return JsonSerializer.Deserialize<LearnerProgress>(File.ReadAllText(path)) ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliError($"{path}: cannot read the learner's progress beside its checkpoint ({e.Message.Split('\n')[0]})");
        }
    }

    private string StatusLine()
    {
        var ingest = _ingestor.Status;
        return string.Create(CultureInfo.InvariantCulture,
            $"transitions {_replay.TotalAdded} from {ingest.Robots} robots (duplicates {ingest.Duplicates}, missing {ingest.Missing}, malformed {ingest.Malformed}) | " +
            $"updates {_networks.Updates} ({_learnerThread.UpdatesPerSecond:0}/s) | policy v{_policyVersion} | last eval {(_lastEval is null ? "–" : _lastEval.Mean.ToString("0.#", CultureInfo.InvariantCulture))} | " +
            $"broker {(_link.Link.IsConnected ? "up" : "DOWN")}");
    }

    private Dictionary<string, object?> Summary(string state)
    {
        var ingest = _ingestor.Status;
        var wall = _clock.Elapsed.TotalSeconds;
        return new Dictionary<string, object?>
        {
            ["state"] = state,
            ["environment"] = _settings.Environment,
            ["fleet"] = _settings.Topics.Fleet,
            ["learner_id"] = _learnerId.ToString("x16", CultureInfo.InvariantCulture),
            ["resumed"] = Resumed,
            ["transitions"] = _replay.TotalAdded,
            ["transitions_this_run"] = _replay.TotalAdded - _transitionsAtStart,
            ["ingest_per_s"] = wall > 0 ? (_replay.TotalAdded - _transitionsAtStart) / wall : 0,
            ["duplicates"] = ingest.Duplicates,
            ["missing"] = ingest.Missing,
            ["malformed"] = ingest.Malformed,
            ["last_malformed"] = _ingestor.LastMalformed,
            ["batches"] = ingest.Batches,
            ["updates"] = _networks.Updates,
            ["policy_version"] = _policyVersion,
            ["policies_published"] = _link.PoliciesPublished,
            ["eval_mean_return"] = _lastEval?.Mean,
            ["eval_std_return"] = _lastEval?.StdDev,
            ["eval_transitions"] = _lastEvalTransitions,
            ["best_eval_return"] = _bestEval,
            ["first_transitions_reaching_minus_200"] = _firstReachingMinus200,
            ["evaluations"] = _evaluations,
            ["wall_seconds"] = WallSeconds,
            ["learner_state"] = _learnerThread.State.ToString(),
            ["learner_fault"] = _learnerThread.Fault?.Message,
            ["robots"] = _ingestor.Robots.Select(r => new Dictionary<string, object?>
            {
                ["robot_id"] = r.RobotId,
                ["accepted"] = r.Accepted,
                ["duplicates"] = r.Duplicates,
                ["missing"] = r.Missing,
                ["batches"] = r.Batches,
                ["epochs"] = r.Epochs,
                ["last_seen_utc"] = r.LastSeenUtc,
            }).ToList(),
        };
    }

    public void Dispose()
    {
        _learnerThread.Stop(); // join before the networks go
        _link.Dispose();
        _broker?.Dispose();
        _networks.Dispose();
        _evalEnvironment.Dispose();
    }
}
