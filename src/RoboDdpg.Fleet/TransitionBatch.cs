using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace RoboDdpg.Fleet;

/// <summary>Header fields of a transition batch.</summary>
/// <param name="RobotId">The robot that recorded the transitions.</param>
/// <param name="Epoch">Identifies one numbering of the robot's transitions (a new actor process starts a new epoch).</param>
/// <param name="FirstSequence">Sequence number of the first transition; the batch holds FirstSequence … FirstSequence + Count − 1.</param>
public readonly record struct TransitionBatchHeader(string RobotId, ulong Epoch, ulong FirstSequence, int Count, int ObservationSize, int ActionSize)
{
    /// <summary>Floats per transition record: observation, action, reward, next observation, terminated (0 or 1).</summary>
    public int RecordFloats => TransitionBatch.RecordFloats(ObservationSize, ActionSize);
}

/// <summary>
/// The transition batch message (format version 1, little-endian), published at QoS 1 on
/// <c>roboddpg/{fleet}/transitions/{robot}</c>:
/// <code>
///  0  4  magic "RDTB"
///  4  1  format version (1)
///  5  1  flags (0)
///  6  2  observation size o (uint16)
///  8  2  action size a (uint16)
/// 10  2  robot id length L (uint16, 1..64)
/// 12  4  transition count N (uint32)
/// 16  8  epoch (uint64)
/// 24  8  sequence number of the first transition (uint64)
/// 32  L  robot id (ASCII), zero-padded to a multiple of 4 bytes
///  …     N records of float32: observation[o], action[a], reward, next observation[o], terminated (0 or 1)
/// </code>
/// Sequence numbers count a robot's transitions within one epoch without gaps, so the learner can drop duplicates
/// (a batch resent after an outage) and prove that none are missing.
/// </summary>
public static class TransitionBatch
{
    public const byte FormatVersion = 1;
    public const int FixedHeaderBytes = 32;
    public const int MaxCount = 65_535;
    private static ReadOnlySpan<byte> Magic => "RDTB"u8;

    public static int RecordFloats(int observationSize, int actionSize) => 2 * observationSize + actionSize + 2;

    /// <summary>Bytes before the first record for a robot id of this length.</summary>
    public static int HeaderBytes(int robotIdLength) => FixedHeaderBytes + (robotIdLength + 3) / 4 * 4;

    /// <summary>Writes a header into the front of <paramref name="destination"/>; returns its length (records follow).</summary>
    public static int WriteHeader(Span<byte> destination, ReadOnlySpan<byte> robotIdAscii, ulong epoch, ulong firstSequence, int count, int observationSize, int actionSize)
    {
        var length = HeaderBytes(robotIdAscii.Length);
        var header = destination[..length];
        header.Clear();
        Magic.CopyTo(header);
        header[4] = FormatVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], checked((ushort)observationSize));
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], checked((ushort)actionSize));
        BinaryPrimitives.WriteUInt16LittleEndian(header[10..], checked((ushort)robotIdAscii.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], checked((uint)count));
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], firstSequence);
        robotIdAscii.CopyTo(header[FixedHeaderBytes..]);
        return length;
    }

    /// <summary>A whole message: header plus records (off the hot path; tests and tools).</summary>
    public static byte[] Encode(string robotId, ulong epoch, ulong firstSequence, int observationSize, int actionSize, ReadOnlySpan<float> records)
    {
        var id = Encoding.ASCII.GetBytes(robotId);
        var recordFloats = RecordFloats(observationSize, actionSize);
        if (records.Length % recordFloats != 0) throw new ArgumentException($"records must be a multiple of {recordFloats} floats", nameof(records));
        var count = records.Length / recordFloats;
        var bytes = new byte[HeaderBytes(id.Length) + records.Length * sizeof(float)];
        var header = WriteHeader(bytes, id, epoch, firstSequence, count, observationSize, actionSize);
        MemoryMarshal.AsBytes(records).CopyTo(bytes.AsSpan(header));
        return bytes;
    }

    /// <summary>
    /// Parses a message. On success <paramref name="records"/> views the payload's float records (little-endian hosts).
    /// On failure returns false with a short reason; nothing is thrown for any input.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out TransitionBatchHeader header, out ReadOnlySpan<float> records, out string? error)
    {
        header = default;
        records = default;
        if (payload.Length < FixedHeaderBytes || !payload[..4].SequenceEqual(Magic)) return Fail("not a transition batch", out error);
        if (payload[4] != FormatVersion) return Fail($"format version {payload[4]} is not supported", out error);
        int o = BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]);
        int a = BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]);
        int idLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[10..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(payload[12..]);
        var epoch = BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]);
        var first = BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]);
        if (o < 1 || a < 1) return Fail("observation and action sizes must be positive", out error);
        if (idLength is < 1 or > FleetTopics.MaxNameLength) return Fail("robot id length is out of range", out error);
        if (count is < 1 or > MaxCount) return Fail($"transition count {count} is out of range", out error);
        if (first > ulong.MaxValue - count) return Fail("sequence numbers overflow", out error);
        var headerBytes = HeaderBytes(idLength);
        if (payload.Length < headerBytes) return Fail("truncated header", out error);
        var robotId = Encoding.ASCII.GetString(payload.Slice(FixedHeaderBytes, idLength));
        if (!FleetTopics.IsValidName(robotId)) return Fail("robot id is invalid", out error);
        var expected = (long)headerBytes + (long)count * RecordFloats(o, a) * sizeof(float);
        if (payload.Length != expected) return Fail($"length {payload.Length} bytes, the header implies {expected}", out error);
        if (!BitConverter.IsLittleEndian) return Fail("big-endian hosts are not supported", out error);
        records = MemoryMarshal.Cast<byte, float>(payload[headerBytes..]);
        header = new TransitionBatchHeader(robotId, epoch, first, (int)count, o, a);
        error = null;
        return true;
    }

    /// <summary>Epoch and sequence range of a message this process encoded (no validation).</summary>
    internal static (ulong Epoch, ulong End) PeekRange(ReadOnlySpan<byte> message) =>
        (BinaryPrimitives.ReadUInt64LittleEndian(message[16..]),
         BinaryPrimitives.ReadUInt64LittleEndian(message[24..]) + BinaryPrimitives.ReadUInt32LittleEndian(message[12..]));

    /// <summary>
    /// The learner's acknowledgement on <c>roboddpg/{fleet}/ack/{robot}</c>: "RDAK", epoch (u64), and the end of the
    /// gap-free prefix of sequence numbers it has in its replay buffer (u64): every transition below it arrived.
    /// </summary>
    public static byte[] EncodeAck(ulong epoch, ulong contiguousEnd)
    {
        var bytes = new byte[20];
        "RDAK"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4), epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), contiguousEnd);
        return bytes;
    }

    public static bool TryParseAck(ReadOnlySpan<byte> payload, out ulong epoch, out ulong contiguousEnd)
    {
        epoch = contiguousEnd = 0;
        if (payload.Length != 20 || !payload[..4].SequenceEqual("RDAK"u8)) return false;
        epoch = BinaryPrimitives.ReadUInt64LittleEndian(payload[4..]);
        contiguousEnd = BinaryPrimitives.ReadUInt64LittleEndian(payload[12..]);
        return true;
    }

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }
}
