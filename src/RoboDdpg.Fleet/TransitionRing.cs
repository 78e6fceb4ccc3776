using System.Runtime.CompilerServices;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Fleet;

/// <summary>
/// Single-producer, single-consumer ring of transition records between the control loop (producer, real-time) and
/// the sender thread (consumer). Preallocated; <see cref="Add"/> never blocks, never allocates and takes no lock:
/// it copies one record and publishes it with one release store. When the sender has fallen a whole ring behind,
/// the new transition is dropped and counted in <see cref="Dropped"/> (the sender spools to disk during outages, so
/// this needs a sender that stopped running).
/// Records are laid out as in <see cref="TransitionBatch"/>: observation, action, reward, next observation, terminated.
/// </summary>
public sealed class TransitionRing : ITransitionSink
{
    private readonly float[] _records;
    private readonly int _recordFloats;
    private long _head; // records written (producer)
    private long _tail; // records read (consumer)
    private long _offered;
    private long _dropped;

    public TransitionRing(int capacity, int observationSize, int actionSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(actionSize, 1);
        Capacity = capacity;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        _recordFloats = TransitionBatch.RecordFloats(observationSize, actionSize);
        _records = new float[(long)capacity * _recordFloats];
    }

    public int Capacity { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }
    public int RecordFloats => _recordFloats;

    /// <summary>Transitions the loop offered, dropped ones included.</summary>
    public long TotalAdded => Volatile.Read(ref _offered);

    /// <summary>Transitions dropped because the ring was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Records waiting for the sender.</summary>
    public int Pending => (int)(Volatile.Read(ref _head) - Volatile.Read(ref _tail));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called on the real-time loop thread
    public void Add(ReadOnlySpan<float> observation, ReadOnlySpan<float> action, float reward, ReadOnlySpan<float> nextObservation, bool terminated)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
            throw new ArgumentException($"observations must have {ObservationSize} entries");
        if (action.Length != ActionSize) throw new ArgumentException($"action must have {ActionSize} entries", nameof(action));
        Volatile.Write(ref _offered, _offered + 1);
        var head = _head;
        if (head - Volatile.Read(ref _tail) >= Capacity)
        {
            Volatile.Write(ref _dropped, _dropped + 1);
            return;
        }
        var record = _records.AsSpan((int)(head % Capacity) * _recordFloats, _recordFloats);
        observation.CopyTo(record);
        action.CopyTo(record[ObservationSize..]);
        record[ObservationSize + ActionSize] = reward;
        nextObservation.CopyTo(record[(ObservationSize + ActionSize + 1)..]);
        record[^1] = terminated ? 1f : 0f;
        Volatile.Write(ref _head, head + 1); // release: the record is complete before the consumer can see it
    }

    /// <summary>Consumer: copies up to <paramref name="maxRecords"/> waiting records into <paramref name="destination"/> and frees them; returns the count.</summary>
    public int Read(Span<float> destination, int maxRecords)
    {
        var tail = _tail;
        var available = Volatile.Read(ref _head) - tail; // acquire: records up to head are complete
        var count = (int)Math.Min(available, Math.Min(maxRecords, destination.Length / _recordFloats));
        for (var done = 0; done < count;)
        {
            var slot = (int)((tail + done) % Capacity);
            var run = Math.Min(count - done, Capacity - slot); // contiguous up to the ring's end
            _records.AsSpan(slot * _recordFloats, run * _recordFloats).CopyTo(destination[(done * _recordFloats)..]);
            done += run;
        }
        Volatile.Write(ref _tail, tail + count); // release: the slots may be overwritten only after the copy
        return count;
    }
}
