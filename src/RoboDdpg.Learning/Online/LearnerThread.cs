using System.Diagnostics;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Learning.Online;

/// <summary>Settings of the concurrent learner.</summary>
public sealed record LearnerOptions
{
    /// <summary>Gradient updates per transition the loop records (update-to-data ratio).</summary>
    public double UpdatesPerTransition { get; init; } = 1.0;

    /// <summary>Transitions recorded before the first update.</summary>
    public int WarmupTransitions { get; init; } = 1_000;

    /// <summary>Updates between two published policy snapshots (K).</summary>
    public int PublishEvery { get; init; } = 10;

    /// <summary>TorchSharp intra-op threads; keep it below the core count so the control loop keeps a core.</summary>
    public int TorchThreads { get; init; } = 1;

    /// <summary>
    /// Updates between induced gen-0 collections on the learner thread (0: leave it to the GC). Collecting a small
    /// young generation often keeps each pause (which stops the control loop too) near 0.5 ms, instead of letting the
    /// default, larger gen-0 budget build up into multi-millisecond pauses.
    /// </summary>
    public int CollectEveryUpdates { get; init; } = 100;

    public void Validate()
    {
        if (!(UpdatesPerTransition > 0)) throw new ArgumentException("updates per transition must be positive", nameof(UpdatesPerTransition));
        if (WarmupTransitions < 0) throw new ArgumentException("warm-up transitions must not be negative", nameof(WarmupTransitions));
        if (PublishEvery < 1) throw new ArgumentException("publish interval must be at least 1", nameof(PublishEvery));
        if (TorchThreads < 1) throw new ArgumentException("torch threads must be at least 1", nameof(TorchThreads));
        if (CollectEveryUpdates < 0) throw new ArgumentException("collection interval must not be negative", nameof(CollectEveryUpdates));
    }
}

public enum LearnerState
{
    NotStarted,
    Running,
    Paused,
    Stopped,
    Faulted,
}

/// <summary>
/// Trains a <see cref="DdpgLearner"/> on its own thread from a replay buffer that the control loop fills
/// concurrently, and publishes a policy snapshot every K updates. The loop never waits for it: inserts and
/// sampling share no lock, and snapshots move through a lock-free <see cref="PolicySnapshotExchange"/>.
/// A learner exception or a non-finite loss stops learning (state <see cref="LearnerState.Faulted"/> with the
/// cause in <see cref="Fault"/>); the loop keeps acting on the last good snapshot.
/// </summary>
public sealed class LearnerThread : IDisposable
{
    private readonly DdpgLearner _learner;
    private readonly ReplayBuffer _replay;
    private readonly PolicySnapshotExchange _snapshots;
    private readonly LearnerOptions _options;
    private readonly Xoshiro256 _rng;
    private readonly ReplayBatch _batch;
    private readonly Thread _thread;
    private volatile bool _stopRequested;
    private volatile bool _pauseRequested;
    private volatile LearnerState _state = LearnerState.NotStarted;
    private long _updates;
    private double _updatesPerSecond;

    public LearnerThread(DdpgLearner learner, ReplayBuffer replay, PolicySnapshotExchange snapshots, LearnerOptions options, ulong seed)
    {
        _learner = learner ?? throw new ArgumentNullException(nameof(learner));
        _replay = replay ?? throw new ArgumentNullException(nameof(replay));
        _snapshots = snapshots ?? throw new ArgumentNullException(nameof(snapshots));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        _rng = new Xoshiro256(seed);
        _batch = new ReplayBatch(learner.Options.BatchSize, learner.ObservationSize, learner.ActionSize);
        _thread = new Thread(Run) { Name = "roboddpg-learner", IsBackground = false };
    }

    public LearnerState State => _state;

    /// <summary>Why learning stopped on its own (exception or divergence), if it did.</summary>
    public Exception? Fault { get; private set; }

    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Updates per second over the last second or so.</summary>
    public double UpdatesPerSecond => Volatile.Read(ref _updatesPerSecond);

    /// <summary>Random-generator state for checkpoints (read only while stopped).</summary>
    public Xoshiro256 Random => _rng;

    public void Start()
    {
        if (_state != LearnerState.NotStarted) throw new InvalidOperationException("the learner thread was already started");
        _state = LearnerState.Running;
        _thread.Start();
    }

    /// <summary>Stops taking updates (e.g. e-stop); the thread stays alive and <see cref="Resume"/> continues.</summary>
    public void Pause() => _pauseRequested = true;

    public void Resume() => _pauseRequested = false;

    /// <summary>
    /// Asks the thread to finish its current update and exit, then joins it. Always call this before the process
    /// ends: leaving while the thread is inside a TorchSharp call can crash the process.
    /// </summary>
    public void Stop()
    {
        _stopRequested = true;
        if (_thread.IsAlive) _thread.Join();
        if (_state is LearnerState.Running or LearnerState.Paused) _state = LearnerState.Stopped;
    }

    public void Dispose() => Stop();

    private void Run()
    {
        try
        {
            TorchSharp.torch.set_num_threads(_options.TorchThreads);
            var rateClock = Stopwatch.StartNew();
            var updatesAtRateStart = 0L;
            while (!_stopRequested)
            {
                if (_pauseRequested)
                {
                    _state = LearnerState.Paused;
                    Thread.Sleep(5);
                    continue;
                }
                _state = LearnerState.Running;

                var due = (long)Math.Floor((_replay.TotalAdded - _options.WarmupTransitions) * _options.UpdatesPerTransition);
                if (_updates >= due || _replay.Count < _batch.Size)
                {
                    Thread.Sleep(1); // caught up with the data: wait for the loop to record more
                }
                else
                {
                    _replay.Sample(_rng, _batch);
                    _learner.Update(_batch);
                    var updates = Interlocked.Increment(ref _updates);
                    if (updates % _options.PublishEvery == 0)
                    {
                        _learner.CopyActorInto(_snapshots.WriteBuffer);
                        _snapshots.Publish();
                    }
                    if (_options.CollectEveryUpdates > 0 && updates % _options.CollectEveryUpdates == 0)
                        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                }

                if (rateClock.ElapsedMilliseconds >= 1000)
                {
                    Volatile.Write(ref _updatesPerSecond, (_updates - updatesAtRateStart) / rateClock.Elapsed.TotalSeconds);
                    updatesAtRateStart = _updates;
                    rateClock.Restart();
                }
            }
        }
        catch (Exception e)
        {
            Fault = e;
            _state = LearnerState.Faulted;
        }
    }
}
