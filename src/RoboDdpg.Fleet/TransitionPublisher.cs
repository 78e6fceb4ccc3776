using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using MQTTnet;

namespace RoboDdpg.Fleet;

/// <summary>Batching and delivery settings of a robot's transition stream.</summary>
public sealed record TransitionPublisherOptions
{
    /// <summary>Largest batch in transitions.</summary>
    public int MaxBatch { get; init; } = 256;

    /// <summary>A batch goes out at the latest this long after the previous one (latency bound at low rates).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Wait before retrying delivery after a failure while connected (e.g. nobody subscribed yet).</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public void Validate()
    {
        if (MaxBatch is < 1 or > TransitionBatch.MaxCount) throw new ArgumentException($"batch size must be in 1..{TransitionBatch.MaxCount}", nameof(MaxBatch));
        if (FlushInterval <= TimeSpan.Zero) throw new ArgumentException("flush interval must be positive", nameof(FlushInterval));
    }
}

/// <summary>Delivery figures of a <see cref="TransitionPublisher"/>.</summary>
/// <param name="NextSequence">Transitions numbered so far in this epoch (the next batch starts here).</param>
/// <param name="Published">Transitions the broker acknowledged on first try.</param>
/// <param name="Spooled">Transitions written to the disk spool because they could not be delivered.</param>
/// <param name="Resent">Spooled messages delivered later.</param>
/// <param name="SpoolPending">Messages waiting in the spool.</param>
/// <param name="SpoolDropped">Messages the full spool discarded (lost).</param>
/// <param name="DeliveryFailures">Publish attempts that were not acknowledged.</param>
/// <param name="Unacknowledged">Batches delivered to the broker that the learner has not acknowledged yet (kept in memory).</param>
/// <param name="Requeued">Batches put back into the spool because the connection was lost before the learner acknowledged them.</param>
public readonly record struct PublisherStatus(ulong Epoch, ulong NextSequence, long Batches, long Published, long Spooled, long Resent,
    int SpoolPending, long SpoolDropped, long DeliveryFailures, int Unacknowledged = 0, long Requeued = 0);

/// <summary>
/// The robot's sender thread: drains the control loop's <see cref="TransitionRing"/> into <see cref="TransitionBatch"/>
/// messages (robot id, epoch, gap-free sequence numbers) and publishes them at QoS 1, waiting for the broker's
/// acknowledgement. A batch that cannot be delivered (broker down, no learner subscribed) goes to the
/// <see cref="DiskSpool"/>; while the spool holds anything, new batches queue behind it, and on reconnect the spool
/// is resent oldest first, so the learner receives every transition in order, possibly twice after a lost
/// acknowledgement — it drops those duplicates by robot id, epoch and sequence number. The loop thread is never involved.
/// </summary>
public sealed class TransitionPublisher : IDisposable
{
    private readonly TransitionRing _ring;
    private readonly MqttLink _link;
    private readonly DiskSpool _spool;
    private readonly TransitionPublisherOptions _options;
    private readonly byte[] _robotId;
    private readonly byte[] _buffer;
    private readonly int _headerBytes;
    private readonly MqttApplicationMessage _message;
    private readonly Thread _thread;
    private volatile bool _stopRequested;
    private ulong _nextSequence;
    private long _batches, _published, _spooled, _resent, _failures;
    private long _retryAtTicks;
    // Batches the broker acknowledged but the learner has not yet (oldest first), with their epoch and sequence end.
    // The copies are rented from the shared pool and returned once acknowledged: no garbage per batch, so the sender
    // does not drive collections that would pause the loop thread too.
    private readonly Queue<(ulong Epoch, ulong End, byte[] Message, int Length)> _unacknowledged = new();
    private long _unacknowledgedBytes;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, ulong> _learnerHas = new();
    private volatile bool _ackArrived;
    private long _lossesSeen;
    private long _requeued;

    public TransitionPublisher(TransitionRing ring, MqttLink link, FleetTopics topics, string robotId, ulong epoch, DiskSpool spool, TransitionPublisherOptions options)
    {
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        _link = link ?? throw new ArgumentNullException(nameof(link));
        _spool = spool ?? throw new ArgumentNullException(nameof(spool));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(topics);
        options.Validate();
        RobotId = FleetTopics.ValidateName(robotId, "robot id");
        Epoch = epoch;
        _robotId = Encoding.ASCII.GetBytes(robotId);
        _headerBytes = TransitionBatch.HeaderBytes(_robotId.Length);
        _buffer = new byte[_headerBytes + options.MaxBatch * ring.RecordFloats * sizeof(float)];
        _message = MqttLink.Message(topics.Transitions(robotId), new ArraySegment<byte>(_buffer), retain: false);
        _thread = new Thread(Run) { Name = "roboddpg-sender", IsBackground = true };
    }

    public string RobotId { get; }
    public ulong Epoch { get; }

    /// <summary>Why the sender thread stopped on its own, if it did.</summary>
    public Exception? Fault { get; private set; }

    public PublisherStatus Status => new(Epoch, Volatile.Read(ref _nextSequence), Interlocked.Read(ref _batches), Interlocked.Read(ref _published),
        Interlocked.Read(ref _spooled), Interlocked.Read(ref _resent), _spool.Count, _spool.DroppedMessages, Interlocked.Read(ref _failures),
        Volatile.Read(ref _unacknowledgedCount), Interlocked.Read(ref _requeued));

    private int _unacknowledgedCount;

    /// <summary>Most memory kept for batches awaiting the learner's acknowledgement; beyond it the oldest are trusted to the broker.</summary>
    public const long MaxUnacknowledgedBytes = 64L << 20;

    /// <summary>The learner holds every transition of <paramref name="epoch"/> below <paramref name="contiguousEnd"/> (any thread).</summary>
    public void OnAcknowledged(ulong epoch, ulong contiguousEnd)
    {
        _learnerHas.AddOrUpdate(epoch, contiguousEnd, (_, old) => Math.Max(old, contiguousEnd));
        _ackArrived = true;
    }

    public void Start() => _thread.Start();

    /// <summary>
    /// Sends what the ring still holds (to the broker, or to the spool), waits up to <paramref name="drain"/> for the
    /// spool to be delivered while connected, then stops the thread. Whatever is left in the spool is sent by the next run.
    /// </summary>
    public void Stop(TimeSpan drain)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(drain.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref _drainDeadline, deadline);
        _stopRequested = true;
        if (_thread.IsAlive) _thread.Join();
    }

    private long _drainDeadline;

    public void Dispose() => Stop(TimeSpan.Zero);

    private void Run()
    {
        try
        {
            var records = MemoryMarshal.Cast<byte, float>(_buffer.AsSpan(_headerBytes));
            var lastFlush = Stopwatch.GetTimestamp();
            _lossesSeen = _link.ConnectionLosses;
            var flushTicks = (long)(_options.FlushInterval.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                var stopping = _stopRequested;
                var now = Stopwatch.GetTimestamp();
                if (_ackArrived) ForgetAcknowledged();
                RequeueAfterLoss();

                // The spool first: transitions reach the learner in the order they were recorded.
                if (_spool.Count > 0 && _link.IsConnected && now >= Volatile.Read(ref _retryAtTicks))
                {
                    var oldest = _spool.PeekOldest();
                    if (oldest is not null)
                    {
                        if (Deliver(new ArraySegment<byte>(oldest)))
                        {
                            _spool.RemoveOldest();
                            Interlocked.Increment(ref _resent);
                            Remember(oldest);
                        }
                        continue;
                    }
                }

                var pending = _ring.Pending;
                if (pending >= _options.MaxBatch || (pending > 0 && (now - lastFlush >= flushTicks || stopping)))
                {
                    var count = _ring.Peek(records, _options.MaxBatch);
                    var first = _nextSequence;
                    TransitionBatch.WriteHeader(_buffer, _robotId, Epoch, first, count, _ring.ObservationSize, _ring.ActionSize);
                    Volatile.Write(ref _nextSequence, first + (ulong)count);
                    Interlocked.Increment(ref _batches);
                    lastFlush = now;
                    var length = _headerBytes + count * _ring.RecordFloats * sizeof(float);
                    if (_spool.Count == 0 && now >= Volatile.Read(ref _retryAtTicks) && Deliver(new ArraySegment<byte>(_buffer, 0, length)))
                    {
                        Interlocked.Add(ref _published, count);
                        Remember(_buffer.AsSpan(0, length));
                    }
                    else
                    {
                        _spool.Append(_buffer.AsSpan(0, length));
                        Interlocked.Add(ref _spooled, count);
                    }
                    _ring.Free(count); // delivered or on disk: a sender killed before this leaves the batch in the ring
                    continue;
                }

                if (stopping && pending == 0)
                {
                    var delivered = _spool.Count == 0 && _unacknowledged.Count == 0;
                    if (delivered || !_link.IsConnected || Stopwatch.GetTimestamp() >= Volatile.Read(ref _drainDeadline))
                    {
                        // Whatever the learner has not confirmed goes to the spool for the next run (it dedups).
                        _lossesSeen = -1;
                        RequeueAfterLoss();
                        break;
                    }
                }
                Thread.Sleep(1);
            }
        }
        catch (Exception e)
        {
            Fault = e; // e.g. the spool's disk is full; the loop keeps acting, the ring then fills and counts drops
        }
    }

    private void Remember(ReadOnlySpan<byte> message)
    {
        var (epoch, end) = TransitionBatch.PeekRange(message);
        if (_learnerHas.TryGetValue(epoch, out var has) && has >= end) return;
        var copy = System.Buffers.ArrayPool<byte>.Shared.Rent(message.Length);
        message.CopyTo(copy);
        _unacknowledged.Enqueue((epoch, end, copy, message.Length));
        _unacknowledgedBytes += message.Length;
        while (_unacknowledgedBytes > MaxUnacknowledgedBytes && _unacknowledged.TryDequeue(out var oldest))
            Release(oldest.Message, oldest.Length); // a learner that stays silent this long: trust the broker's queue
        Volatile.Write(ref _unacknowledgedCount, _unacknowledged.Count);
    }

    private void Release(byte[] message, int length)
    {
        _unacknowledgedBytes -= length;
        System.Buffers.ArrayPool<byte>.Shared.Return(message);
    }

    private void ForgetAcknowledged()
    {
        _ackArrived = false;
        var keep = _unacknowledged.Count;
        for (var i = 0; i < keep; i++)
        {
            var batch = _unacknowledged.Dequeue();
            if (_learnerHas.TryGetValue(batch.Epoch, out var has) && has >= batch.End) Release(batch.Message, batch.Length);
            else _unacknowledged.Enqueue(batch);
        }
        Volatile.Write(ref _unacknowledgedCount, _unacknowledged.Count);
    }

    /// <summary>
    /// After a lost connection the broker may have acknowledged batches it never delivered (it crashed, or its queue
    /// for the learner was lost): everything the learner has not confirmed goes back into the spool and is resent.
    /// </summary>
    private void RequeueAfterLoss()
    {
        var losses = _link.ConnectionLosses;
        if (losses == _lossesSeen) return;
        _lossesSeen = losses;
        if (_ackArrived) ForgetAcknowledged();
        while (_unacknowledged.TryDequeue(out var batch))
        {
            _spool.Append(batch.Message.AsSpan(0, batch.Length));
            Interlocked.Increment(ref _requeued);
            Release(batch.Message, batch.Length);
        }
        Volatile.Write(ref _unacknowledgedCount, 0);
    }

    private bool Deliver(ArraySegment<byte> payload)
    {
        _message.PayloadSegment = payload;
        if (_link.Publish(_message, out _)) return true;
        Interlocked.Increment(ref _failures);
        Volatile.Write(ref _retryAtTicks, Stopwatch.GetTimestamp() + (long)(_options.RetryInterval.TotalSeconds * Stopwatch.Frequency));
        return false;
    }
}
