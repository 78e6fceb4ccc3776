using RoboDdpg.Core.Random;

namespace RoboDdpg.Core.Replay;

/// <summary>
/// Fixed-capacity ring of transitions (s, a, r, s′, terminated) in preallocated flat arrays; once full,
/// each insert overwrites the oldest transition. Sampling is uniform over the stored transitions.
/// Truncation is deliberately not stored: a time-limit cut still bootstraps from s′.
/// </summary>
public sealed class ReplayBuffer
{
    private readonly float[] _observations;
    private readonly float[] _actions;
    private readonly float[] _rewards;
    private readonly float[] _nextObservations;
    private readonly float[] _terminated;
    private int _next;

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
    }

    public int Capacity { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }

    /// <summary>Transitions currently stored (≤ <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Transitions ever added, including overwritten ones.</summary>
    public long TotalAdded { get; private set; }

    public void Add(ReadOnlySpan<float> observation, ReadOnlySpan<float> action, float reward,
        ReadOnlySpan<float> nextObservation, bool terminated)
    {
        if (observation.Length != ObservationSize || nextObservation.Length != ObservationSize)
            throw new ArgumentException($"observations must have {ObservationSize} entries");
        if (action.Length != ActionSize)
            throw new ArgumentException($"action must have {ActionSize} entries", nameof(action));

        var i = _next;
        observation.CopyTo(_observations.AsSpan(i * ObservationSize, ObservationSize));
        action.CopyTo(_actions.AsSpan(i * ActionSize, ActionSize));
        _rewards[i] = reward;
        nextObservation.CopyTo(_nextObservations.AsSpan(i * ObservationSize, ObservationSize));
        _terminated[i] = terminated ? 1f : 0f;

        _next = (i + 1) % Capacity;
        if (Count < Capacity) Count++;
        TotalAdded++;
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
        for (var k = 0; k < batch.Size; k++)
        {
            var i = rng.NextInt(Count);
            batch.Indices[k] = i;
            _observations.AsSpan(i * o, o).CopyTo(batch.Observations.AsSpan(k * o, o));
            _actions.AsSpan(i * a, a).CopyTo(batch.Actions.AsSpan(k * a, a));
            batch.Rewards[k] = _rewards[i];
            _nextObservations.AsSpan(i * o, o).CopyTo(batch.NextObservations.AsSpan(k * o, o));
            batch.Terminated[k] = _terminated[i];
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
        writer.Write(Count);
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
        var buffer = new ReplayBuffer(capacity, o, a) { Count = count, TotalAdded = total };
        buffer._next = next;
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
