using System.Runtime.CompilerServices;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Fleet;

/// <summary>
/// Single-producer, single-consumer ring of transition records between the control loop (producer, real-time) and
/// the sender (consumer). Preallocated; <see cref="Add"/> never blocks, never allocates and takes no lock: it copies
/// one record and publishes it with one release store. When the sender has fallen a whole ring behind, the new
/// transition is dropped and counted in <see cref="Dropped"/> (the sender spools to disk during outages, so this
/// needs a sender that stopped running).
/// The ring lives either in pinned memory of this process or in memory shared with the actor's MQTT sidecar process
/// (<see cref="Sidecar.ActorSharedMemory"/>): then the loop process writes and the sidecar reads, and the positions
/// survive a restart of the sidecar.
/// Records are laid out as in <see cref="TransitionBatch"/>: observation, action, reward, next observation, terminated.
/// </summary>
public sealed unsafe class TransitionRing : ITransitionSink
{
    /// <summary>Bytes of the positions block: head, tail, offered and dropped, head and tail on their own cache lines.</summary>
    public const int PositionBytes = 192;

    private readonly float* _records;
    private readonly int _recordFloats;
    private readonly long* _head; // records written (producer)
    private readonly long* _tail; // records read (consumer)
    private readonly long* _offered;
    private readonly long* _dropped;
    private readonly object? _owner; // keeps the memory alive

    public TransitionRing(int capacity, int observationSize, int actionSize)
        : this(capacity, observationSize, actionSize, null, null, null)
    {
    }

    /// <summary>A ring over memory owned by <paramref name="owner"/>: <see cref="PositionBytes"/> at <paramref name="positions"/>,
    /// <see cref="RecordBytes"/> at <paramref name="records"/> (both 8-byte aligned, zeroed when new).</summary>
    internal TransitionRing(int capacity, int observationSize, int actionSize, object? owner, byte* positions, byte* records)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(actionSize, 1);
        Capacity = capacity;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        _recordFloats = TransitionBatch.RecordFloats(observationSize, actionSize);
        if (owner is null)
        {
            // Pinned for the ring's lifetime: the loop writes through pointers, like into shared memory.
            var memory = GC.AllocateArray<byte>(checked((int)(PositionBytes + RecordBytes(capacity, observationSize, actionSize))), pinned: true);
            owner = memory;
            positions = (byte*)Unsafe.AsPointer(ref memory[0]);
            records = positions + PositionBytes;
        }
        _owner = owner;
        _head = (long*)positions;
        _tail = (long*)(positions + 64);
        _offered = (long*)(positions + 128);
        _dropped = (long*)(positions + 136);
        _records = (float*)records;
    }

    /// <summary>Bytes of the records of a ring.</summary>
    public static long RecordBytes(int capacity, int observationSize, int actionSize) =>
        (long)capacity * TransitionBatch.RecordFloats(observationSize, actionSize) * sizeof(float);

    public int Capacity { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }
    public int RecordFloats => _recordFloats;

    /// <summary>Transitions the loop offered, dropped ones included.</summary>
    public long TotalAdded => Volatile.Read(ref *_offered);

    /// <summary>Transitions dropped because the ring was full.</summary>
    public long Dropped => Volatile.Read(ref *_dropped);

    /// <summary>Records waiting for the sender.</summary>
    public int Pending => (int)(Volatile.Read(ref *_head) - Volatile.Read(ref *_tail));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called on the real-time loop thread
    public void Add(ReadOnlySpan<float> observation, ReadOnlySpan<float> action, float reward, ReadOnlySpan<float> nextObservation, bool terminated)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
            throw new ArgumentException($"observations must have {ObservationSize} entries");
        if (action.Length != ActionSize) throw new ArgumentException($"action must have {ActionSize} entries", nameof(action));
        Volatile.Write(ref *_offered, *_offered + 1);
        var head = *_head;
        if (head - Volatile.Read(ref *_tail) >= Capacity)
        {
            Volatile.Write(ref *_dropped, *_dropped + 1);
            return;
        }
        var record = new Span<float>(_records + head % Capacity * _recordFloats, _recordFloats);
        observation.CopyTo(record);
        action.CopyTo(record[ObservationSize..]);
        record[ObservationSize + ActionSize] = reward;
        nextObservation.CopyTo(record[(ObservationSize + ActionSize + 1)..]);
        record[^1] = terminated ? 1f : 0f;
        Volatile.Write(ref *_head, head + 1); // release: the record is complete before the consumer can see it
    }

    /// <summary>Consumer: copies up to <paramref name="maxRecords"/> waiting records into <paramref name="destination"/> and frees them; returns the count.</summary>
    public int Read(Span<float> destination, int maxRecords)
    {
        var count = Peek(destination, maxRecords);
        Free(count);
        return count;
    }

    /// <summary>
    /// Consumer: copies up to <paramref name="maxRecords"/> of the oldest waiting records into
    /// <paramref name="destination"/> without freeing them; returns the count. The sender frees them with
    /// <see cref="Free"/> once they are delivered or spooled, so a sender that dies in between (a killed sidecar)
    /// leaves them for the next one.
    /// </summary>
    public int Peek(Span<float> destination, int maxRecords)
    {
        var tail = *_tail;
        var available = Volatile.Read(ref *_head) - tail; // acquire: records up to head are complete
        var count = (int)Math.Min(available, Math.Min(maxRecords, destination.Length / _recordFloats));
        for (var done = 0; done < count;)
        {
            var slot = (int)((tail + done) % Capacity);
            var run = Math.Min(count - done, Capacity - slot); // contiguous up to the ring's end
            new ReadOnlySpan<float>(_records + (long)slot * _recordFloats, run * _recordFloats).CopyTo(destination[(done * _recordFloats)..]);
            done += run;
        }
        GC.KeepAlive(_owner);
        return count;
    }

    /// <summary>Consumer: frees the <paramref name="count"/> oldest records (after <see cref="Peek"/>).</summary>
    public void Free(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var tail = *_tail;
        if (count > Volatile.Read(ref *_head) - tail) throw new ArgumentOutOfRangeException(nameof(count), "more records than are waiting");
        Volatile.Write(ref *_tail, tail + count); // release: the slots may be overwritten only after the copy
    }
}
