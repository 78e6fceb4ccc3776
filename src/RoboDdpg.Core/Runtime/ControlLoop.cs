using System.Runtime.CompilerServices;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Runtime;

/// <summary>What the control loop does besides running the policy.</summary>
public sealed record ControlLoopOptions
{
    /// <summary>Seed of episode resets and random warm-up actions.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Transitions recorded with uniform random actions before the policy acts (only when recording).</summary>
    public long RandomActionTransitions { get; init; }
}

/// <summary>Live figures of a <see cref="ControlLoop"/>, safe to read from another thread.</summary>
public readonly record struct ControlLoopStatus(long Ticks, long Episodes, double? LastEpisodeReturn, long PolicyVersion, long Recorded);

/// <summary>
/// One control tick, run by a <see cref="RealtimeLoop"/>: read the observation, policy (the newest snapshot, taken at
/// the tick boundary) plus exploration noise, safety layer, write the action (one environment step), and record the
/// transition — the action actually applied, after the safety layer — into the replay buffer. Episodes are reset
/// through the environment interface inside a tick, so the loop thread never stops. Allocates nothing per tick.
/// </summary>
public sealed class ControlLoop : IRealtimeTickHandler
{
    private readonly IEnvironment _environment;
    private readonly PolicySnapshotExchange _policies;
    private readonly IExplorationNoise? _noise;
    private readonly SafetyLayer _safety;
    private readonly ITransitionSink? _replay;
    private readonly ControlLoopOptions _options;
    private readonly Xoshiro256 _rng;
    private readonly float[] _observation;
    private readonly float[] _nextObservation;
    private readonly float[] _proposed;
    private readonly float[] _action;
    private readonly float[] _noiseSample;
    private readonly float[] _low;
    private readonly float[] _high;
    private bool _episodeActive;
    private double _episodeReturn;
    private long _ticks;
    private long _episodes;
    private long _policyVersion;
    private double _lastEpisodeReturn = double.NaN;

    /// <param name="noise">Exploration noise in normalized units, or null to act deterministically.</param>
    /// <param name="replay">Where transitions go (the replay ring, or a ring streamed to a remote learner), or null to record nothing (deployment without learning).</param>
    public ControlLoop(IEnvironment environment, PolicySnapshotExchange policies, IExplorationNoise? noise,
        SafetyLayer safety, ITransitionSink? replay, ControlLoopOptions options)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _policies = policies ?? throw new ArgumentNullException(nameof(policies));
        _safety = safety ?? throw new ArgumentNullException(nameof(safety));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _noise = noise;
        _replay = replay;
        var spec = environment.Spec;
        var policy = policies.Acquire(out _);
        if (policy.ObservationSize != spec.ObservationSize || policy.ActionSize != spec.ActionSize)
            throw new ArgumentException($"policy maps {policy.ObservationSize} observations to {policy.ActionSize} actions, " +
                                        $"'{spec.Name}' has {spec.ObservationSize} and {spec.ActionSize}");
        if (noise is not null && noise.Size != spec.ActionSize) throw new ArgumentException("noise size differs from the action size", nameof(noise));
        if (replay is not null && (replay.ObservationSize != spec.ObservationSize || replay.ActionSize != spec.ActionSize))
            throw new ArgumentException("replay buffer shape differs from the environment", nameof(replay));

        _rng = new Xoshiro256(options.Seed);
        _observation = new float[spec.ObservationSize];
        _nextObservation = new float[spec.ObservationSize];
        _proposed = new float[spec.ActionSize];
        _action = new float[spec.ActionSize];
        _noiseSample = new float[spec.ActionSize];
        _low = [.. spec.Action.Low];
        _high = [.. spec.Action.High];
    }

    public SafetyLayer Safety => _safety;

    public ControlLoopStatus Status => new(Volatile.Read(ref _ticks), Volatile.Read(ref _episodes),
        Volatile.Read(ref _lastEpisodeReturn) is var r && double.IsNaN(r) ? null : r,
        Volatile.Read(ref _policyVersion), _replay?.TotalAdded ?? 0);

    /// <summary>The action written on the last tick (loop thread only; for tests).</summary>
    public ReadOnlySpan<float> LastAction => _action;

    public void OnStart()
    {
        if (_environment.State != LifecycleState.Active)
            throw new InvalidOperationException($"{_environment.Spec.Name}: the environment must be active before the loop starts (it is {_environment.State})");
        // Compile the policy path now: during a random-action warm-up it would otherwise first run (and be compiled,
        // with the runtime's own allocations) in the middle of measured, real-time ticks.
        _policies.Acquire(out _).Act(_observation, _proposed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimized from the first tick: no tier-up on the loop thread
    public void OnTick(in TickInfo tick)
    {
        if (!_episodeActive) BeginEpisode();

        var policy = _policies.Acquire(out var version);
        Volatile.Write(ref _policyVersion, version);
        if (_replay is not null && _replay.TotalAdded < _options.RandomActionTransitions)
        {
            for (var i = 0; i < _proposed.Length; i++) _proposed[i] = (float)_rng.NextUniform(_low[i], _high[i]);
        }
        else
        {
            policy.Act(_observation, _proposed);
            if (_noise is not null)
            {
                _noise.Sample(_noiseSample);
                for (var i = 0; i < _proposed.Length; i++) _proposed[i] += _noiseSample[i] * (_high[i] - _low[i]) / 2f;
            }
        }

        // A twin always delivers a fresh observation; hardware with stale sensors will report it here.
        _safety.Filter(_proposed, observationFresh: true, _action);
        var step = _environment.Step(_action, _nextObservation);
        _replay?.Add(_observation, _action, (float)step.Reward, _nextObservation, step.Terminated);

        _episodeReturn += step.Reward;
        _nextObservation.AsSpan().CopyTo(_observation);
        if (step.EpisodeEnded)
        {
            Volatile.Write(ref _lastEpisodeReturn, _episodeReturn);
            Volatile.Write(ref _episodes, _episodes + 1);
            _episodeActive = false;
        }
        Volatile.Write(ref _ticks, _ticks + 1);
    }

    /// <summary>Writes the safe action: the plant comes to rest whenever the loop ends, normally or by a fault.</summary>
    public void OnStop() => _environment.Deactivate();

    private void BeginEpisode()
    {
        _environment.Reset(_rng.NextUInt64(), _observation);
        _noise?.Reset();
        _safety.Reset();
        _episodeReturn = 0;
        _episodeActive = true;
    }
}
