using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;

namespace RoboDdpg.Fleet;

/// <summary>Policy snapshots a robot accepted and refused.</summary>
public readonly record struct PolicyReceiverStatus(long Accepted, long Refused, long Unsigned, long BadSignature, long BadChecksum,
    long WrongShape, long Stale, long Malformed, ulong Version, ulong Updates, string? LastRefusal);

/// <summary>
/// The robot's side of policy distribution: every snapshot message is verified (signature under the fleet key,
/// checksum) and checked against the robot (environment, observation/action sizes, action bounds, layer shapes)
/// before it is written into the <see cref="PolicySnapshotExchange"/>'s back buffer and published to the control
/// loop, which picks it up at its next tick boundary. Refused snapshots are counted by reason and logged; the loop
/// keeps acting on the last good policy. Runs on the MQTT client's thread, never on the loop thread.
/// </summary>
public sealed class PolicyReceiver
{
    private readonly FleetKey _key;
    private readonly EnvironmentSpec _spec;
    private readonly Action<string>? _log;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _first = new(false);
    private PolicySnapshotExchange? _exchange;
    private MlpPolicy? _firstPolicy;
    private PolicySnapshotInfo? _current;
    private long _accepted;
    private readonly long[] _refused = new long[Enum.GetValues<PolicyRefusal>().Length];
    private string? _lastRefusal;

    public PolicyReceiver(FleetKey key, EnvironmentSpec spec, Action<string>? log = null)
    {
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _log = log;
    }

    /// <summary>Called after each accepted snapshot is published to the loop (on the receiving thread).</summary>
    public event Action<PolicySnapshotInfo>? Accepted;

    /// <summary>The snapshot the robot acts on (or will, from its next tick).</summary>
    public PolicySnapshotInfo? Current
    {
        get { lock (_gate) return _current; }
    }

    public PolicyReceiverStatus Status
    {
        get
        {
            lock (_gate)
            {
                return new PolicyReceiverStatus(_accepted, _refused.Sum(), _refused[(int)PolicyRefusal.Unsigned], _refused[(int)PolicyRefusal.BadSignature],
                    _refused[(int)PolicyRefusal.BadChecksum], _refused[(int)PolicyRefusal.WrongShape], _refused[(int)PolicyRefusal.Stale],
                    _refused[(int)PolicyRefusal.Malformed], _current?.Version ?? 0, _current?.Updates ?? 0, _lastRefusal);
            }
        }
    }

    /// <summary>Waits for the first accepted snapshot, which fixes the network shape; null on timeout.</summary>
    public MlpPolicy? WaitForFirst(TimeSpan timeout, CancellationToken cancellation = default)
    {
        try
        {
            if (!_first.Wait(timeout, cancellation)) return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        lock (_gate) return _firstPolicy;
    }

    /// <summary>
    /// Makes the exchange the control loop reads, starting with the newest accepted snapshot (which fixed the network
    /// shape); from now on accepted snapshots are published into it. Call after <see cref="WaitForFirst"/> succeeded.
    /// </summary>
    public PolicySnapshotExchange CreateExchange()
    {
        lock (_gate)
        {
            if (_exchange is not null) throw new InvalidOperationException("the exchange was already created");
            var first = _firstPolicy ?? throw new InvalidOperationException("no policy snapshot was accepted yet");
            _exchange = new PolicySnapshotExchange(first, first.Clone);
            return _exchange;
        }
    }

    private byte[] _scratch = [];

    /// <summary>
    /// Handles a message as the MQTT client delivers it: copied into a buffer this receiver keeps (grown once to the
    /// snapshot size), so a stream of snapshots (hundreds of KB each) leaves no large-object garbage whose collection
    /// would pause the control loop.
    /// </summary>
    public PolicyRefusal Handle(in System.Buffers.ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment) return Handle(message.FirstSpan);
        PolicyRefusal verdict;
        lock (_gate)
        {
            if (_scratch.Length < message.Length) _scratch = new byte[message.Length];
            var length = (int)message.Length;
            System.Buffers.BuffersExtensions.CopyTo(message, _scratch);
            verdict = HandleLocked(_scratch.AsSpan(0, length));
        }
        if (verdict == PolicyRefusal.None) Accepted?.Invoke(Current!);
        return verdict;
    }

    /// <summary>Handles one message from the policy topic. Returns the verdict (also counted and logged).</summary>
    public PolicyRefusal Handle(ReadOnlySpan<byte> message)
    {
        PolicyRefusal verdict;
        lock (_gate) verdict = HandleLocked(message);
        if (verdict == PolicyRefusal.None) Accepted?.Invoke(Current!);
        return verdict;
    }

    private PolicyRefusal HandleLocked(ReadOnlySpan<byte> message)
    {
        PolicyRefusal verdict;
        PolicySnapshotInfo? info;
        string detail;
        if (_exchange is null && _firstPolicy is null)
        {
            verdict = PolicySnapshotMessage.TryDecode(message, _key, _spec, out var policy, out info, out detail);
            if (verdict == PolicyRefusal.None) _firstPolicy = policy;
        }
        else
        {
            verdict = PolicySnapshotMessage.Verify(message, _key, out info, out detail);
            if (verdict == PolicyRefusal.None && IsStale(info!)) { verdict = PolicyRefusal.Stale; detail = $"version {info!.Version} is not newer than {_current!.Version}"; }
            else if (verdict == PolicyRefusal.None)
            {
                if (_exchange is null)
                {
                    // Before the loop exists: replace the pending first policy (same shape) in place.
                    verdict = PolicySnapshotMessage.VerifyInto(message, _key, _spec, _firstPolicy!, out info, out detail);
                }
                else
                {
                    verdict = PolicySnapshotMessage.VerifyInto(message, _key, _spec, _exchange.WriteBuffer, out info, out detail);
                    if (verdict == PolicyRefusal.None) _exchange.Publish();
                }
            }
        }

        if (verdict != PolicyRefusal.None)
        {
            _refused[(int)verdict]++;
            _lastRefusal = $"{verdict}: {detail}";
            _log?.Invoke($"refused a policy snapshot{(info is null ? "" : $" (version {info.Version})")}: {verdict}: {detail}");
            return verdict;
        }

        if (_current is not null && _current.LearnerId != info!.LearnerId)
            _log?.Invoke($"policy snapshots now come from another learner run ({info.LearnerId:x16}, was {_current.LearnerId:x16})");
        _current = info;
        _accepted++;
        _first.Set();
        return PolicyRefusal.None;
    }

    // A replayed old snapshot of the same learner run is refused; a different learner run (restarted from scratch)
    // starts its own version count.
    private bool IsStale(PolicySnapshotInfo info) => _current is not null && info.LearnerId == _current.LearnerId && info.Version <= _current.Version;
}
