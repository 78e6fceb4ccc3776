namespace RoboDdpg.Core.Policy;

/// <summary>
/// Hands policy snapshots from the learner (one writer) to the control loop (one reader) without locks and
/// without allocation: a triple buffer of preallocated <see cref="MlpPolicy"/> instances. The writer fills its
/// back buffer and publishes it with one atomic exchange; the reader, at a tick boundary, takes the newest
/// published buffer with one atomic exchange. Neither side ever waits for the other, and the buffer the loop is
/// evaluating is never written.
/// </summary>
public sealed class PolicySnapshotExchange
{
    private const int FreshBit = 4;
    private const int IndexMask = 3;

    private readonly MlpPolicy[] _buffers;
    private readonly long[] _versions = new long[3];
    private int _middle; // index of the published buffer, | FreshBit when the reader has not taken it yet
    private int _back = 1; // writer-owned
    private int _front = 2; // reader-owned
    private long _published;

    /// <param name="initial">The policy the loop starts with (version 0).</param>
    /// <param name="createBuffer">Makes an empty policy of the same shape (called twice).</param>
    public PolicySnapshotExchange(MlpPolicy initial, Func<MlpPolicy> createBuffer)
    {
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(createBuffer);
        _buffers = [createBuffer(), createBuffer(), initial];
        foreach (var b in _buffers)
        {
            if (b.ObservationSize != initial.ObservationSize || b.ActionSize != initial.ActionSize)
                throw new ArgumentException("all snapshot buffers must have the initial policy's shape", nameof(createBuffer));
        }
    }

    /// <summary>Snapshots published so far.</summary>
    public long PublishedVersion => Volatile.Read(ref _published);

    // ---- writer side (learner thread) ----

    /// <summary>The buffer the writer may fill now; it is not visible to the reader until <see cref="Publish"/>.</summary>
    public MlpPolicy WriteBuffer => _buffers[_back];

    /// <summary>Makes <see cref="WriteBuffer"/> the newest snapshot and hands the writer another buffer.</summary>
    public long Publish()
    {
        var version = _published + 1;
        _versions[_back] = version;
        var previous = Interlocked.Exchange(ref _middle, _back | FreshBit);
        _back = previous & IndexMask;
        Volatile.Write(ref _published, version);
        return version;
    }

    // ---- reader side (control loop thread) ----

    /// <summary>
    /// The newest published snapshot (or the one already in use when nothing new was published). Call once per
    /// tick, at the tick boundary, and use the returned policy for the whole tick.
    /// </summary>
    public MlpPolicy Acquire(out long version)
    {
        if ((Volatile.Read(ref _middle) & FreshBit) != 0)
        {
            var previous = Interlocked.Exchange(ref _middle, _front);
            _front = previous & IndexMask;
        }
        version = _versions[_front];
        return _buffers[_front];
    }
}
