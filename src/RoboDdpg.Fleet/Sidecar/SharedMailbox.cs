using System.Buffers;

namespace RoboDdpg.Fleet.Sidecar;

/// <summary>
/// One message slot in memory shared by two processes, with one writer and one reader (a sequence lock): the writer
/// makes the sequence odd, copies the message, and makes it even again; the reader copies the message and keeps it
/// only if the sequence was even and unchanged around the copy. Neither side ever waits for the other, so a reader
/// that loses a race simply tries again on its next poll; only the newest message counts.
/// </summary>
public sealed unsafe class SharedMailbox
{
    private readonly long* _sequence;
    private readonly int* _length;
    private readonly byte* _data;
    private long _lastTaken;

    /// <param name="header">16 bytes: sequence (i64) and length (i32).</param>
    /// <param name="data"><paramref name="capacity"/> bytes.</param>
    internal SharedMailbox(byte* header, byte* data, int capacity)
    {
        _sequence = (long*)header;
        _length = (int*)(header + 8);
        _data = data;
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Messages posted so far (the reader's view of the writer's count).</summary>
    public long Posted => Volatile.Read(ref *_sequence) / 2;

    /// <summary>The number (in <see cref="Posted"/>'s count) of the message <see cref="TryTake"/> took last; 0 before any.</summary>
    public long LastTaken => _lastTaken / 2;

    /// <summary>Writer: replaces the message; false (nothing written) when it is longer than <see cref="Capacity"/>.</summary>
    public bool Post(ReadOnlySpan<byte> message)
    {
        if (message.Length > Capacity) return false;
        var sequence = BeginWrite();
        message.CopyTo(new Span<byte>(_data, Capacity));
        EndWrite(sequence, message.Length);
        return true;
    }

    /// <inheritdoc cref="Post(ReadOnlySpan{byte})"/>
    public bool Post(in ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment) return Post(message.FirstSpan);
        if (message.Length > Capacity) return false;
        var sequence = BeginWrite();
        message.CopyTo(new Span<byte>(_data, Capacity));
        EndWrite(sequence, (int)message.Length);
        return true;
    }

    private long BeginWrite()
    {
        var sequence = *_sequence;
        Volatile.Write(ref *_sequence, sequence + 1); // odd: being written
        Interlocked.MemoryBarrier(); // the odd sequence is visible before any byte changes
        return sequence;
    }

    private void EndWrite(long sequence, int length)
    {
        *_length = length;
        Volatile.Write(ref *_sequence, sequence + 2); // release: complete
    }

    /// <summary>
    /// Reader: copies a message posted since the last one taken into <paramref name="buffer"/> (grown when too small);
    /// false when there is none, or the writer was busy with it (try again later).
    /// </summary>
    public bool TryTake(ref byte[] buffer, out int length)
    {
        length = 0;
        var before = Volatile.Read(ref *_sequence); // acquire
        if ((before & 1) != 0 || before == _lastTaken) return false;
        var size = Math.Clamp(Volatile.Read(ref *_length), 0, Capacity);
        if (buffer.Length < size) buffer = new byte[size];
        new ReadOnlySpan<byte>(_data, size).CopyTo(buffer);
        Interlocked.MemoryBarrier(); // the copy is done before the sequence is read again
        if (Volatile.Read(ref *_sequence) != before) return false; // torn: the writer came by
        _lastTaken = before;
        length = size;
        return true;
    }
}
