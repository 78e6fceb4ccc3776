using RoboDdpg.Core.Random;

namespace RoboDdpg.Core.Replay;

/// <summary>
/// Fixed-capacity ring of transitions (s, a, r, s′, terminated) in preallocated flat arrays; once full,
/// each insert overwrites the oldest transition. Sampling is uniform over the stored transitions.
/// Truncation is deliberately not stored: a time-limit cut still bootstraps from s′.
/// <para>
/// Concurrency: one producer (the control loop) may <see cref="Add"/> while other threads (the learner)
/// <see cref="Sample"/>, with no lock anywhere: each slot carries a sequence number that is odd while the slot
/// is being written (a seqlock), and a sampler that sees it change while copying draws another slot. So the
/// loop's insert never waits, and the learner never trains on a half-overwritten transition.
/// <see cref="Save"/>, <see cref="Get"/> and <see cref="Load"/> need the producer to be stopped.
/// </para>
/// </summary>
public sealed class ReplayBuffer
{
    private readonly float[] _observations;
    private readonly float[] _actions;
    private readonly float[] _rewards;
    private readonly float[] _nextObservations;
    private readonly float[] _terminated;
    private readonly int[] _sequence; // per slot: odd while being written
    private int _next;
    private int _count;
    private long _totalAdded;

    public ReplayBuffer(int capacity, int observationSize, int actionSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(actionSize, 1);
        Capacity = capacity;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        _observations = new float[(long)capacity * observationSize];
        _actions = new float[(long)capacity * actionSize];
        _rewards = new float[capacity];
        _nextObservations = new float[(long)capacity * observationSize];
        _terminated = new float[capacity];
        _sequence = new int[capacity];
    }

    public int Capacity { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }

    /// <summary>Transitions currently stored (≤ <see cref="Capacity"/>).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Transitions ever added, including overwritten ones.</summary>
    public long TotalAdded => Volatile.Read(ref _totalAdded);

    public void Add(ReadOnlySpan<float> observation, ReadOnlySpan<float> action, float reward,
        ReadOnlySpan<float> nextObservation, bool terminated)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
            throw new ArgumentException($"observations must have {ObservationSize} entries");
        if (action.Length != ActionSize)
            throw new ArgumentException($"action must have {ActionSize} entries", nameof(action));

        var i = _next;
        Interlocked.Increment(ref _sequence[i]); // odd: writing (full fence, so the data stores stay after it)
        observation.CopyTo(_observations.AsSpan(i * ObservationSize, ObservationSize));
        action.CopyTo(_actions.AsSpan(i * ActionSize, ActionSize));
        _rewards[i] = reward;
        nextObservation.CopyTo(_nextObservations.AsSpan(i * ObservationSize, ObservationSize));
        _terminated[i] = terminated ? 1f : 0f;
        Volatile.Write(ref _sequence[i], _sequence[i] + 1); // even: complete (release)

        _next = (i + 1) % Capacity;
        if (_count < Capacity) Volatile.Write(ref _count, _count + 1);
        Volatile.Write(ref _totalAdded, _totalAdded + 1);
    }

    /// <summary>Draws <see cref="ReplayBatch.Size"/> transitions uniformly with replacement into <paramref name="batch"/>.</summary>
    public void Sample(Xoshiro256 rng, ReplayBatch batch)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(batch);
        if (Count == 0) throw new InvalidOperationException("cannot sample from an empty replay buffer");
        if (batch.ObservationSize != ObservationSize || batch.ActionSize != ActionSize)
            throw new ArgumentException("batch shape does not match the buffer", nameof(batch));

        int o = ObservationSize, a = ActionSize;
        var count = Count;
        for (var k = 0; k < batch.Size; k++)
        {
            while (true)
            {
                var i = rng.NextInt(count);
                var before = Volatile.Read(ref _sequence[i]);
                if ((before & 1) != 0) continue; // being written right now: draw another slot
                _observations.AsSpan(i * o, o).CopyTo(batch.Observations.AsSpan(k * o, o));
                _actions.AsSpan(i * a, a).CopyTo(batch.Actions.AsSpan(k * a, a));
                batch.Rewards[k] = _rewards[i];
                _nextObservations.AsSpan(i * o, o).CopyTo(batch.NextObservations.AsSpan(k * o, o));
                batch.Terminated[k] = _terminated[i];
                Interlocked.MemoryBarrier(); // the copies above complete before the sequence is read again
                if (Volatile.Read(ref _sequence[i]) != before) continue; // overwritten meanwhile: draw again
                batch.Indices[k] = i;
                break;
            }
        }
    }

    /// <summary>Reads back one stored transition (slot index, not insertion order).</summary>
    public Transition Get(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        return new Transition(
            _observations.AsSpan(slot * ObservationSize, ObservationSize).ToArray(),
            _actions.AsSpan(slot * ActionSize, ActionSize).ToArray(),
            _rewards[slot],
            _nextObservations.AsSpan(slot * ObservationSize, ObservationSize).ToArray(),
            _terminated[slot] != 0f);
    }

    private const int FormatVersion = 1;

    public void Save(BinaryWriter writer)
    {
        writer.Write(FormatVersion);
        writer.Write(Capacity);
        writer.Write(ObservationSize);
        writer.Write(ActionSize);
        writer.Write(_count);
        writer.Write(_next);
        writer.Write(TotalAdded);
        WriteFloats(writer, _observations.AsSpan(0, Count * ObservationSize));
        WriteFloats(writer, _actions.AsSpan(0, Count * ActionSize));
        WriteFloats(writer, _rewards.AsSpan(0, Count));
        WriteFloats(writer, _nextObservations.AsSpan(0, Count * ObservationSize));
        WriteFloats(writer, _terminated.AsSpan(0, Count));
    }

    public static ReplayBuffer Load(BinaryReader reader)
    {
        var version = reader.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"replay buffer format {version} is not supported");
        var capacity = reader.ReadInt32();
        var o = reader.ReadInt32();
        var a = reader.ReadInt32();
        var count = reader.ReadInt32();
        var next = reader.ReadInt32();
        var total = reader.ReadInt64();
        if (capacity < 1 || o < 1 || a < 1 || count < 0 || count > capacity || next < 0 || next >= capacity || total < count)
            throw new InvalidDataException("replay buffer header is inconsistent");
        var buffer = new ReplayBuffer(capacity, o, a) { _count = count, _totalAdded = total, _next = next };
        ReadFloats(reader, buffer._observations.AsSpan(0, count * o));
        ReadFloats(reader, buffer._actions.AsSpan(0, count * a));
        ReadFloats(reader, buffer._rewards.AsSpan(0, count));
        ReadFloats(reader, buffer._nextObservations.AsSpan(0, count * o));
        ReadFloats(reader, buffer._terminated.AsSpan(0, count));
        return buffer;
    }

    private static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values) =>
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    private static void ReadFloats(BinaryReader reader, Span<float> values)
    {
        // BinaryReader keeps no read-ahead for binary reads, so the base stream is positioned right here.
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }
}

/// <summary>One stored transition, copied out (for inspection and tests, not the hot path).</summary>
public sealed record Transition(float[] Observation, float[] Action, float Reward, float[] NextObservation, bool Terminated);
