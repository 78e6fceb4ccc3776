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

    /// <summary>
    /// Real-time plants only: ticks of safe action between episodes, with nothing recorded, so the robot comes to its
    /// start state by itself (a pendulum arm hangs still again) before the next episode begins. 0: none.
    /// </summary>
    public int SettleTicks
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(SettleTicks), value, "must be ≥ 0");
    }
}

/// <summary>Live figures of a <see cref="ControlLoop"/>, safe to read from another thread.</summary>
/// <param name="StaleTicks">Ticks whose observation was not fresh (a real-time plant's device failed or lagged): not recorded.</param>
/// <param name="Fault">Why the loop went to the safe action for good (a device stayed broken), or null.</param>
/// <param name="Transitions">Transitions the loop completed (an action decided on a fresh observation, followed by
/// a fresh observation), whether or not a replay buffer records them: <paramref name="Recorded"/> when learning.</param>
public readonly record struct ControlLoopStatus(long Ticks, long Episodes, double? LastEpisodeReturn, long PolicyVersion, long Recorded,
    long StaleTicks = 0, string? Fault = null, long Transitions = 0);

/// <summary>
/// One control tick, run by a <see cref="RealtimeLoop"/>: read the observation, policy (the newest snapshot, taken at
/// the tick boundary) plus exploration noise, safety layer, write the action (one environment step), and record the
/// transition — the action actually applied, after the safety layer — into the replay buffer. Episodes are reset
/// through the environment interface inside a tick, so the loop thread never stops. Allocates nothing per tick.
/// <para>
/// A <see cref="IRealtimePlant"/> (hardware, emulated devices) is driven read → act → write instead: tick k reads
/// the observation that the action of tick k−1 led to, records that transition, then acts and writes. A reading
/// that is not fresh is neither acted on freely (the safety layer's watchdog counts it) nor recorded; a device
/// fault engages the emergency stop, which writes the safe action and halts learning.
/// </para>
/// </summary>
public sealed class ControlLoop : IRealtimeTickHandler
{
    private readonly IEnvironment _environment;
    private readonly IRealtimePlant? _plant;
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
    private long _staleTicks;
    private long _transitions;
    private string? _fault;
    private bool _observationFresh = true;
    private bool _recordNext; // the action just written was decided on a fresh observation of this episode
    private int _settleRemaining;
    private readonly float[] _safeAction;

    /// <param name="noise">Exploration noise in normalized units, or null to act deterministically.</param>
    /// <param name="replay">Where transitions go (the replay ring, or a ring streamed to a remote learner), or null to record nothing (deployment without learning).</param>
    public ControlLoop(IEnvironment environment, PolicySnapshotExchange policies, IExplorationNoise? noise,
        SafetyLayer safety, ITransitionSink? replay, ControlLoopOptions options)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _plant = environment as IRealtimePlant;
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
        _safeAction = [.. spec.SafeAction];
        _high = [.. spec.Action.High];
    }

    /// <summary>
    /// A loop for deployment: acts deterministically with <paramref name="policy"/> through the safety layer, no
    /// exploration noise, records nothing.
    /// </summary>
    /// <param name="settleTicks">Real-time plants: ticks of safe action between episodes (see <see cref="ControlLoopOptions.SettleTicks"/>).</param>
    public static ControlLoop ForPolicy(IEnvironment environment, MlpPolicy policy, SafetyOptions safety, ulong seed, int settleTicks = 0)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(policy);
        var snapshots = new PolicySnapshotExchange(policy, policy.Clone);
        return new ControlLoop(environment, snapshots, null, new SafetyLayer(environment.Spec, safety), null,
            new ControlLoopOptions { Seed = seed, SettleTicks = settleTicks });
    }

    public SafetyLayer Safety => _safety;

    /// <summary>Where the loop takes its policy from at each tick.</summary>
    public PolicySnapshotExchange Policies => _policies;

    public ControlLoopStatus Status => new(Volatile.Read(ref _ticks), Volatile.Read(ref _episodes),
        Volatile.Read(ref _lastEpisodeReturn) is var r && double.IsNaN(r) ? null : r,
        Volatile.Read(ref _policyVersion), _replay?.TotalAdded ?? 0, Volatile.Read(ref _staleTicks), Volatile.Read(ref _fault),
        Volatile.Read(ref _transitions));

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
        if (_plant is not null)
        {
            PlantTick();
            return;
        }
        if (!_episodeActive) BeginEpisode();

        Decide(observationFresh: true); // a twin always delivers a fresh observation
        var step = _environment.Step(_action, _nextObservation);
        _replay?.Add(_observation, _action, (float)step.Reward, _nextObservation, step.Terminated);
        Volatile.Write(ref _transitions, _transitions + 1);
        EndStep(step);
        Volatile.Write(ref _ticks, _ticks + 1);
    }

    /// <summary>Read → record → act → write, for a plant that evolves in real time between ticks.</summary>
    private void PlantTick()
    {
        var plant = _plant!;
        if (_settleRemaining > 0)
        {
            // Between episodes: keep reading (faults are still detected), hold the safe action, record nothing.
            var settling = plant.Read(_nextObservation);
            Fault(settling.Fault);
            _settleRemaining--;
            _safeAction.AsSpan().CopyTo(_action);
            plant.Write(_action);
            _recordNext = false;
            Volatile.Write(ref _ticks, _ticks + 1);
            return;
        }
        if (!_episodeActive)
        {
            BeginEpisode();
            _observationFresh = true;
        }
        else
        {
            var reading = plant.Read(_nextObservation);
            Fault(reading.Fault);
            _observationFresh = reading.Fresh;
            if (reading.Fresh)
            {
                // The transition the previous tick's action caused; never one built on stale readings.
                if (_recordNext)
                {
                    _replay?.Add(_observation, _action, (float)reading.Step.Reward, _nextObservation, reading.Step.Terminated);
                    Volatile.Write(ref _transitions, _transitions + 1);
                }
                _nextObservation.AsSpan().CopyTo(_observation);
                EndStep(reading.Step);
            }
            else
            {
                Volatile.Write(ref _staleTicks, _staleTicks + 1);
            }
            if (!_episodeActive)
            {
                if (_options.SettleTicks > 0)
                {
                    _settleRemaining = _options.SettleTicks - 1;
                    _safeAction.AsSpan().CopyTo(_action);
                    plant.Write(_action);
                    _recordNext = false;
                    Volatile.Write(ref _ticks, _ticks + 1);
                    return;
                }
                BeginEpisode();
                _observationFresh = true;
            }
        }
        Decide(_observationFresh);
        plant.Write(_action);
        _recordNext = _observationFresh;
        Volatile.Write(ref _ticks, _ticks + 1);
    }

    private void Fault(string? fault)
    {
        if (fault is null || _fault is not null) return;
        Volatile.Write(ref _fault, fault);
        _safety.EngageEmergencyStop(fault);
    }

    /// <summary>Policy (or a random warm-up action) plus noise, through the safety layer, into <c>_action</c>.</summary>
    private void Decide(bool observationFresh)
    {
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
        _safety.Filter(_proposed, observationFresh, _action);
    }

    private void EndStep(StepResult step)
    {
        _episodeReturn += step.Reward;
        if (_plant is null) _nextObservation.AsSpan().CopyTo(_observation);
        if (step.EpisodeEnded)
        {
            Volatile.Write(ref _lastEpisodeReturn, _episodeReturn);
            Volatile.Write(ref _episodes, _episodes + 1);
            _episodeActive = false;
        }
    }

    /// <summary>Writes the safe action: the plant comes to rest whenever the loop ends, normally or by a fault.</summary>
    public void OnStop() => _environment.Deactivate();

    private void BeginEpisode()
    {
        _environment.Reset(_rng.NextUInt64(), _observation);
        _noise?.Reset();
        // A twin's reset leaves the plant at rest; a real plant keeps running under the last written action.
        if (_plant is not null && _recordNext) _safety.Reset(_action);
        else _safety.Reset();
        _episodeReturn = 0;
        _episodeActive = true;
    }
}
