using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using RoboDdpg.Core.Environments;

namespace RoboDdpg.Core.Safety;

/// <summary>
/// The last check between the policy (plus exploration noise) and the actuators. Once per control tick,
/// <see cref="Filter"/> turns the proposed action into the action to write, applying in this order:
/// <list type="number">
/// <item>emergency stop engaged → safe action, immediately (no rate limit);</item>
/// <item>watchdog: no fresh observation for <see cref="SafetyOptions.WatchdogTicks"/> consecutive ticks →
/// safe action, immediately, until a fresh observation arrives;</item>
/// <item>any NaN/infinity in the proposal → the whole proposal is replaced by the safe action;</item>
/// <item>each entry is clamped into the action bounds;</item>
/// <item>each entry moves at most <see cref="SafetyOptions.MaxDeltaPerTick"/> from the previous output.</item>
/// </list>
/// Why this order: a human's stop outranks everything, including a dead sensor, and stopping now matters
/// more than stopping smoothly. A stale observation makes the proposal open-loop guesswork whatever its
/// values, so it is not worth inspecting further. NaN must be caught before clamping because
/// <see cref="Math.Clamp(float, float, float)"/> passes NaN through, and a partly non-finite vector means the
/// computation behind all of it is broken. Clamping before the rate limit makes the limit step towards a target
/// the actuator can reach, and the rate limit goes last so that its guarantee holds for exactly what is written
/// (its result stays in bounds because both the previous output and the target are).
/// A non-finite proposal (rule 3) is only a glitch of the policy, not an emergency, so the safe action that
/// replaces it still goes through rules 4–5: the plant moves smoothly towards rest instead of jumping there.
/// <para>
/// Threading: <see cref="Filter"/> and <see cref="Reset()"/> belong to the control-loop thread (one caller at a
/// time); they never allocate, lock or wait. The emergency-stop methods and the read-only properties may be
/// called from any thread at any time. A <see cref="Filter"/> call that starts after
/// <see cref="EngageEmergencyStop"/> returned writes the safe action.
/// </para>
/// </summary>
public sealed class SafetyLayer
{
    private readonly float[] _low;
    private readonly float[] _high;
    private readonly float[] _safe;
    private readonly float[]? _maxDelta; // expanded to one entry per dimension; null = no rate limit
    private readonly float[] _previous;  // what Filter wrote last tick (or what Reset declared applied)
    private readonly int _watchdogTicks;
    private int _staleTicks;

    // Emergency stop: the loop reads only _emergencyStop (a volatile int, never a lock). Writers take _gate so
    // that the flag and the reasons change together when a UI thread and a GPIO thread race.
    private readonly Lock _gate = new();
    private int _emergencyStop;
    private string? _emergencyStopReason;
    private string? _learningHaltReason;

    // Counters: written only by the loop thread inside a seqlock (_sequence odd while writing), so another thread
    // gets a consistent snapshot without the loop ever waiting.
    private int _sequence;
    private long _ticks;
    private long _clamped;
    private long _rateLimited;
    private long _nonFinite;
    private long _watchdog;
    private long _emergencyStopTicks;

    /// <param name="actionSpec">Action layout and bounds.</param>
    /// <param name="safeAction">The action that brings the plant to rest; must lie inside the bounds.</param>
    /// <param name="options">Rate limit and watchdog settings.</param>
    public SafetyLayer(BoxSpec actionSpec, IReadOnlyList<float> safeAction, SafetyOptions options)
    {
        ArgumentNullException.ThrowIfNull(actionSpec);
        ArgumentNullException.ThrowIfNull(safeAction);
        ArgumentNullException.ThrowIfNull(options);
        var size = actionSpec.Size;
        if (safeAction.Count != size)
            throw new ArgumentException($"safe action has {safeAction.Count} entries, the action has {size}", nameof(safeAction));

        _low = actionSpec.Low.ToArray();
        _high = actionSpec.High.ToArray();
        _safe = safeAction.ToArray();
        for (var i = 0; i < size; i++)
        {
            if (!(_safe[i] >= _low[i] && _safe[i] <= _high[i]))
                throw new ArgumentException(
                    $"safe action '{actionSpec.Names[i]}' = {_safe[i]} lies outside the bounds [{_low[i]}, {_high[i]}]", nameof(safeAction));
        }

        if (options.MaxDeltaPerTick is { } limits)
        {
            if (limits.Count != 1 && limits.Count != size)
                throw new ArgumentException(
                    $"MaxDeltaPerTick has {limits.Count} values; give one for all dimensions or one per dimension ({size})", nameof(options));
            _maxDelta = new float[size];
            for (var i = 0; i < size; i++) _maxDelta[i] = limits.Count == 1 ? limits[0] : limits[i];
        }

        _watchdogTicks = options.WatchdogTicks;
        _previous = (float[])_safe.Clone(); // the plant is at rest after Activate
        ActionSpec = actionSpec;
        Options = options;
        SafeAction = new ReadOnlyCollection<float>((float[])_safe.Clone());
    }

    /// <summary>Convenience: the action bounds and safe action of an environment.</summary>
    public SafetyLayer(EnvironmentSpec spec, SafetyOptions options)
        : this((spec ?? throw new ArgumentNullException(nameof(spec))).Action, spec.SafeAction, options)
    {
    }

    public BoxSpec ActionSpec { get; }

    public SafetyOptions Options { get; }

    /// <summary>The action written whenever the plant must come to rest (always inside the bounds).</summary>
    public IReadOnlyList<float> SafeAction { get; }

    /// <summary>What the last <see cref="Filter"/> wrote. Control-loop thread only.</summary>
    public ReadOnlySpan<float> PreviousOutput => _previous;

    /// <summary>True from <see cref="EngageEmergencyStop"/> until <see cref="ReleaseEmergencyStop"/>.</summary>
    public bool EmergencyStopped => Volatile.Read(ref _emergencyStop) != 0;

    /// <summary>Why the emergency stop is engaged (the first reason given); null when released.</summary>
    public string? EmergencyStopReason => Volatile.Read(ref _emergencyStopReason);

    /// <summary>
    /// True once an emergency stop was engaged, and it stays true after the stop is released: whatever made
    /// someone press the stop also makes the experience since then suspect, so the owner must stop updating
    /// the policy and only <see cref="ResumeLearning"/> (a deliberate decision) lets it learn again.
    /// </summary>
    public bool LearningHalted => Volatile.Read(ref _learningHaltReason) is not null;

    /// <summary>The reason of the emergency stop that halted learning; null when learning may run.</summary>
    public string? LearningHaltReason => Volatile.Read(ref _learningHaltReason);

    /// <summary>A consistent snapshot of the intervention counters; safe to call from any thread.</summary>
    public SafetyCounters Counters
    {
        get
        {
            var spin = new SpinWait();
            while (true)
            {
                var before = Volatile.Read(ref _sequence);
                if ((before & 1) == 0)
                {
                    // Acquire reads: none of them can move after the second read of _sequence.
                    var snapshot = new SafetyCounters(
                        Volatile.Read(ref _ticks),
                        Volatile.Read(ref _clamped),
                        Volatile.Read(ref _rateLimited),
                        Volatile.Read(ref _nonFinite),
                        Volatile.Read(ref _watchdog),
                        Volatile.Read(ref _emergencyStopTicks));
                    if (Volatile.Read(ref _sequence) == before) return snapshot;
                }
                spin.SpinOnce();
            }
        }
    }

    /// <summary>
    /// Turns <paramref name="proposed"/> into the action to write to the actuators, in <paramref name="output"/>
    /// (which may be the same buffer). The caller must write exactly this output: it is the "previous output"
    /// the next tick's rate limit starts from. Control-loop thread only; allocation- and lock-free.
    /// </summary>
    /// <param name="proposed">Policy action plus exploration noise.</param>
    /// <param name="observationFresh">Whether a new observation arrived since the previous tick.</param>
    /// <param name="output">Receives the filtered action.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Filter(ReadOnlySpan<float> proposed, bool observationFresh, Span<float> output)
    {
        var size = _previous.Length;
        if (proposed.Length != size || output.Length != size) ThrowLengthMismatch(proposed.Length, output.Length, size);

        // Freshness is tracked on every tick, even under e-stop, so the watchdog is right after a release.
        if (observationFresh) _staleTicks = 0;
        else if (_staleTicks < int.MaxValue) _staleTicks++;

        bool emergencyStop = false, watchdog = false, nonFinite = false, clamped = false, rateLimited = false;
        if (Volatile.Read(ref _emergencyStop) != 0)
        {
            emergencyStop = true;
            WriteSafe(output);
        }
        else if (_staleTicks >= _watchdogTicks)
        {
            watchdog = true;
            WriteSafe(output);
        }
        else
        {
            ReadOnlySpan<float> target = proposed;
            for (var i = 0; i < size; i++)
            {
                if (!float.IsFinite(proposed[i]))
                {
                    nonFinite = true;
                    target = _safe;
                    break;
                }
            }

            var maxDelta = _maxDelta;
            for (var i = 0; i < size; i++)
            {
                var requested = target[i];
                var value = Math.Clamp(requested, _low[i], _high[i]);
                if (value != requested) clamped = true;
                if (maxDelta is not null)
                {
                    var previous = _previous[i];
                    var delta = maxDelta[i];
                    if (value > previous + delta)
                    {
                        value = previous + delta;
                        rateLimited = true;
                    }
                    else if (value < previous - delta)
                    {
                        value = previous - delta;
                        rateLimited = true;
                    }
                }
                // Written after reading target[i], so output may alias proposed.
                output[i] = value;
                _previous[i] = value;
            }
        }

        // Seqlock write: the full fence of the increment keeps the counter stores after the odd value,
        // the release write keeps them before the even one.
        Interlocked.Increment(ref _sequence);
        _ticks++;
        if (emergencyStop) _emergencyStopTicks++;
        if (watchdog) _watchdog++;
        if (nonFinite) _nonFinite++;
        if (clamped) _clamped++;
        if (rateLimited) _rateLimited++;
        Volatile.Write(ref _sequence, _sequence + 1);
    }

    /// <summary>
    /// Call at episode start, after the environment's reset: the rate limit then starts from the safe action,
    /// because an environment's reset leaves the plant at rest, and rest is what the safe action holds. Keeping the
    /// last written action instead would let the first command of an episode jump by up to that action's size from
    /// a plant that is actually at rest. If a reset leaves another command applied, use
    /// <see cref="Reset(ReadOnlySpan{float})"/>. The watchdog is not reset (only a fresh observation clears it, so
    /// a dead sensor cannot earn N unchecked ticks per episode), nor are the counters or the emergency stop.
    /// Control-loop thread only.
    /// </summary>
    public void Reset() => _safe.CopyTo(_previous, 0);

    /// <summary>Like <see cref="Reset()"/>, for an environment whose reset leaves <paramref name="appliedAction"/> applied.</summary>
    public void Reset(ReadOnlySpan<float> appliedAction)
    {
        if (appliedAction.Length != _previous.Length)
            throw new ArgumentException($"applied action has {appliedAction.Length} entries, expected {_previous.Length}", nameof(appliedAction));
        for (var i = 0; i < appliedAction.Length; i++)
        {
            if (!(appliedAction[i] >= _low[i] && appliedAction[i] <= _high[i]))
                throw new ArgumentException($"applied action entry {i} = {appliedAction[i]} lies outside [{_low[i]}, {_high[i]}]", nameof(appliedAction));
        }
        appliedAction.CopyTo(_previous);
    }

    /// <summary>
    /// Forces the safe action from the next <see cref="Filter"/> call on and halts learning (see
    /// <see cref="LearningHalted"/>). Any thread; idempotent (the first reason is kept while engaged).
    /// </summary>
    public void EngageEmergencyStop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (_gate)
        {
            // Reasons first, flag last: whoever sees the stop engaged also sees why.
            Volatile.Write(ref _emergencyStopReason, _emergencyStopReason ?? reason);
            Volatile.Write(ref _learningHaltReason, _learningHaltReason ?? reason);
            Interlocked.Exchange(ref _emergencyStop, 1); // full fence: visible to the loop's next Filter
        }
    }

    /// <summary>
    /// Lets <see cref="Filter"/> pass proposals again (rate limited from the safe action it wrote). Learning stays
    /// halted until <see cref="ResumeLearning"/>. Any thread; idempotent.
    /// </summary>
    public void ReleaseEmergencyStop()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _emergencyStop, 0);
            Volatile.Write(ref _emergencyStopReason, null);
        }
    }

    /// <summary>The owner's deliberate decision to let learning continue after an emergency stop was released.</summary>
    /// <exception cref="InvalidOperationException">The emergency stop is still engaged.</exception>
    public void ResumeLearning()
    {
        lock (_gate)
        {
            if (_emergencyStop != 0)
                throw new InvalidOperationException($"release the emergency stop ({_emergencyStopReason}) before resuming learning");
            Volatile.Write(ref _learningHaltReason, null);
        }
    }

    private void WriteSafe(Span<float> output)
    {
        _safe.CopyTo(output);
        _safe.CopyTo(_previous, 0);
    }

    [DoesNotReturn]
    private static void ThrowLengthMismatch(int proposed, int output, int expected) =>
        throw new ArgumentException($"proposed has {proposed} and output {output} entries, the action has {expected}");
}
