using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;

namespace RoboDdpg.Fleet;

/// <summary>What a policy snapshot says about itself (all covered by the signature).</summary>
/// <param name="LearnerId">Identifies one learner's training run; versions count up within it (a resumed learner keeps its id).</param>
/// <param name="Version">Snapshot number within the learner run, increasing.</param>
/// <param name="Updates">Gradient updates behind this policy (0: untrained).</param>
/// <param name="Transitions">Transitions the learner had ingested when it took the snapshot.</param>
/// <param name="CreatedUnixMilliseconds">Wall-clock time of publication (for propagation latency).</param>
public sealed record PolicySnapshotInfo(ulong LearnerId, ulong Version, ulong Updates, ulong Transitions, long CreatedUnixMilliseconds, string Environment);

/// <summary>Why a robot refused a policy snapshot.</summary>
public enum PolicyRefusal
{
    None,
    /// <summary>Too short, wrong magic or format version, or fields that do not parse.</summary>
    Malformed,
    /// <summary>No signature.</summary>
    Unsigned,
    /// <summary>A signature that does not verify under the robot's fleet key (tampered, or another fleet's key).</summary>
    BadSignature,
    /// <summary>Signed, but the SHA-256 of the content does not match (corrupted before signing).</summary>
    BadChecksum,
    /// <summary>Another environment, observation/action size, action bounds or layer shapes than the robot's.</summary>
    WrongShape,
    /// <summary>Not newer than the snapshot the robot already acts on (a replayed old message).</summary>
    Stale,
}

/// <summary>
/// The policy snapshot message (format version 1, little-endian), published retained at QoS 1 on
/// <c>roboddpg/{fleet}/policy</c>:
/// <code>
/// magic "RDPS" | version u8 = 1 | signature algorithm u8 (1 = HMAC-SHA256) | reserved u16
/// learner id u64 | snapshot version u64 | updates u64 | transitions u64 | created unix ms i64
/// environment name: length u16 + UTF-8 | observation size u32 | action size u32
/// action low f32[a] | action high f32[a] | layer count u32 | per layer: inputs u32, outputs u32, weights f32[out×in] (row-major), bias f32[out]
/// SHA-256 of everything above (32 bytes)
/// HMAC-SHA256 under the fleet key of everything above, checksum included (32 bytes)
/// </code>
/// </summary>
public static class PolicySnapshotMessage
{
    public const byte FormatVersion = 1;
    public const byte HmacSha256 = 1;
    private const int MaxLayers = 64;
    private const int HeaderBytes = 50; // through the environment name's length
    private const long MaxLayerFloats = 1 << 26;
    private const int MaxLayerSize = 1 << 16;
    private static ReadOnlySpan<byte> Magic => "RDPS"u8;

    /// <summary>Encodes and signs a snapshot.</summary>
    public static byte[] Encode(MlpPolicy policy, PolicySnapshotInfo info, FleetKey key)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(key);
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(HmacSha256);
            w.Write((ushort)0);
            w.Write(info.LearnerId);
            w.Write(info.Version);
            w.Write(info.Updates);
            w.Write(info.Transitions);
            w.Write(info.CreatedUnixMilliseconds);
            var name = Encoding.UTF8.GetBytes(info.Environment);
            w.Write(checked((ushort)name.Length));
            w.Write(name);
            w.Write(policy.ObservationSize);
            w.Write(policy.ActionSize);
            foreach (var v in policy.ActionLow) w.Write(v);
            foreach (var v in policy.ActionHigh) w.Write(v);
            w.Write(policy.Layers.Count);
            foreach (var layer in policy.Layers)
            {
                w.Write(layer.Inputs);
                w.Write(layer.Outputs);
                w.Write(MemoryMarshal.AsBytes(layer.Weights.AsSpan()));
                w.Write(MemoryMarshal.AsBytes(layer.Bias.AsSpan()));
            }
        }
        var contentLength = (int)body.Length;
        var message = new byte[contentLength + SHA256.HashSizeInBytes + FleetKey.SignatureBytes];
        body.GetBuffer().AsSpan(0, contentLength).CopyTo(message);
        SHA256.HashData(message.AsSpan(0, contentLength), message.AsSpan(contentLength, SHA256.HashSizeInBytes));
        var signed = contentLength + SHA256.HashSizeInBytes;
        key.Sign(message.AsSpan(0, signed), message.AsSpan(signed));
        return message;
    }

    /// <summary>Verifies the signature and checksum only and reads the header (no shape checks, nothing written).</summary>
    public static PolicyRefusal Verify(ReadOnlySpan<byte> message, FleetKey key, out PolicySnapshotInfo? info, out string detail)
    {
        ArgumentNullException.ThrowIfNull(key);
        info = null;
        if (message.Length < 8 || !message[..4].SequenceEqual(Magic)) return Refuse(PolicyRefusal.Malformed, "not a policy snapshot", out detail);
        if (message[4] != FormatVersion) return Refuse(PolicyRefusal.Malformed, $"format version {message[4]} is not supported", out detail);
        if (message[5] != HmacSha256) return Refuse(PolicyRefusal.Unsigned, "the snapshot carries no HMAC-SHA256 signature", out detail);
        if (message.Length < HeaderBytes + SHA256.HashSizeInBytes + FleetKey.SignatureBytes) return Refuse(PolicyRefusal.Malformed, "too short", out detail);
        var signed = message.Length - FleetKey.SignatureBytes;
        if (!key.Verify(message[..signed], message[signed..])) return Refuse(PolicyRefusal.BadSignature, "signature does not verify under the fleet key", out detail);
        var contentLength = signed - SHA256.HashSizeInBytes;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(message[..contentLength], hash);
        if (!hash.SequenceEqual(message.Slice(contentLength, SHA256.HashSizeInBytes))) return Refuse(PolicyRefusal.BadChecksum, "checksum mismatch", out detail);
        var content = message[..contentLength];
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(content[48..]);
        if (content.Length < 50 + nameLength) return Refuse(PolicyRefusal.Malformed, "truncated header", out detail);
        info = new PolicySnapshotInfo(
            BinaryPrimitives.ReadUInt64LittleEndian(content[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(content[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(content[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(content[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(content[40..]),
            Encoding.UTF8.GetString(content.Slice(50, nameLength)));
        detail = "";
        return PolicyRefusal.None;
    }

    /// <summary>
    /// Verifies a snapshot and checks it against the robot: environment name, observation and action sizes, action
    /// bounds (exactly the robot's), and the layer shapes of <paramref name="destination"/>. Only a snapshot that
    /// passes everything is written into <paramref name="destination"/> (weights copied, then repacked).
    /// </summary>
    public static PolicyRefusal VerifyInto(ReadOnlySpan<byte> message, FleetKey key, EnvironmentSpec spec, MlpPolicy destination,
        out PolicySnapshotInfo? info, out string detail)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(destination);
        var verdict = Verify(message, key, out info, out detail);
        if (verdict != PolicyRefusal.None) return verdict;
        var content = message[..(message.Length - FleetKey.SignatureBytes - SHA256.HashSizeInBytes)];
        var position = 50 + BinaryPrimitives.ReadUInt16LittleEndian(content[48..]);
        if (info!.Environment != spec.Name) return Refuse(PolicyRefusal.WrongShape, $"policy is for '{info.Environment}', this robot expects '{spec.Name}'", out detail);

        if (!TryReadInt(content, ref position, out var observationSize) || !TryReadInt(content, ref position, out var actionSize))
            return Refuse(PolicyRefusal.Malformed, "truncated sizes", out detail);
        if (observationSize != spec.ObservationSize || actionSize != spec.ActionSize)
            return Refuse(PolicyRefusal.WrongShape, $"policy maps {observationSize} observations to {actionSize} actions, the robot has {spec.ObservationSize} and {spec.ActionSize}", out detail);
        for (var bound = 0; bound < 2; bound++)
        {
            var expected = bound == 0 ? spec.Action.Low : spec.Action.High;
            for (var i = 0; i < actionSize; i++)
            {
                if (!TryReadFloat(content, ref position, out var v)) return Refuse(PolicyRefusal.Malformed, "truncated action bounds", out detail);
                if (v != expected[i]) return Refuse(PolicyRefusal.WrongShape, $"action {i} bounds differ from the robot's", out detail);
            }
        }
        if (!TryReadInt(content, ref position, out var layerCount) || layerCount is < 1 or > MaxLayers)
            return Refuse(PolicyRefusal.Malformed, "layer count is out of range", out detail);
        if (layerCount != destination.Layers.Count)
            return Refuse(PolicyRefusal.WrongShape, $"policy has {layerCount} layers, the robot's network {destination.Layers.Count}", out detail);

        // Check every layer's shape and length before writing anything.
        var start = position;
        for (var l = 0; l < layerCount; l++)
        {
            if (!TryReadInt(content, ref position, out var inputs) || !TryReadInt(content, ref position, out var outputs)
                || inputs is < 1 or > MaxLayerSize || outputs is < 1 or > MaxLayerSize)
                return Refuse(PolicyRefusal.Malformed, $"layer {l} shape is out of range", out detail);
            var layer = destination.Layers[l];
            if (inputs != layer.Inputs || outputs != layer.Outputs)
                return Refuse(PolicyRefusal.WrongShape, $"layer {l} is {inputs}→{outputs}, the robot's network has {layer.Inputs}→{layer.Outputs}", out detail);
            var bytes = ((long)inputs * outputs + outputs) * sizeof(float);
            if (content.Length - position < bytes) return Refuse(PolicyRefusal.Malformed, $"layer {l} is truncated", out detail);
            var values = MemoryMarshal.Cast<byte, float>(content.Slice(position, (int)bytes));
            foreach (var v in values)
            {
                if (!float.IsFinite(v)) return Refuse(PolicyRefusal.Malformed, $"layer {l} holds a non-finite weight", out detail);
            }
            position += (int)bytes;
        }
        if (position != content.Length) return Refuse(PolicyRefusal.Malformed, "unexpected data after the last layer", out detail);

        position = start;
        for (var l = 0; l < layerCount; l++)
        {
            var layer = destination.Layers[l];
            position += 8;
            var weights = layer.Weights.Length * sizeof(float);
            content.Slice(position, weights).CopyTo(MemoryMarshal.AsBytes(layer.Weights.AsSpan()));
            position += weights;
            var bias = layer.Bias.Length * sizeof(float);
            content.Slice(position, bias).CopyTo(MemoryMarshal.AsBytes(layer.Bias.AsSpan()));
            position += bias;
        }
        destination.Repack();
        detail = "";
        return PolicyRefusal.None;
    }

    /// <summary>Verifies a snapshot and builds a new policy from it (for a robot's first policy, which fixes the network shape).</summary>
    public static PolicyRefusal TryDecode(ReadOnlySpan<byte> message, FleetKey key, EnvironmentSpec spec, out MlpPolicy? policy,
        out PolicySnapshotInfo? info, out string detail)
    {
        policy = null;
        var verdict = Verify(message, key, out info, out detail);
        if (verdict != PolicyRefusal.None) return verdict;
        // Read the layer shapes, make an empty policy of that shape, then fill it through the full check.
        var content = message[..(message.Length - FleetKey.SignatureBytes - SHA256.HashSizeInBytes)];
        var position = 50 + BinaryPrimitives.ReadUInt16LittleEndian(content[48..]);
        if (!TryReadInt(content, ref position, out var o) || !TryReadInt(content, ref position, out var a) || a is < 1 or > MaxLayerSize || o is < 1 or > MaxLayerSize)
            return Refuse(PolicyRefusal.Malformed, "truncated sizes", out detail);
        position += 2 * a * sizeof(float);
        if (position > content.Length) return Refuse(PolicyRefusal.Malformed, "truncated action bounds", out detail);
        if (!TryReadInt(content, ref position, out var layerCount) || layerCount is < 1 or > MaxLayers)
            return Refuse(PolicyRefusal.Malformed, "layer count is out of range", out detail);
        var layers = new DenseLayer[layerCount];
        for (var l = 0; l < layerCount; l++)
        {
            if (!TryReadInt(content, ref position, out var inputs) || !TryReadInt(content, ref position, out var outputs)
                || inputs is < 1 or > MaxLayerSize || outputs is < 1 or > MaxLayerSize)
                return Refuse(PolicyRefusal.Malformed, $"layer {l} shape is out of range", out detail);
            var floats = (long)inputs * outputs + outputs;
            if (floats > MaxLayerFloats || content.Length - position < floats * sizeof(float))
                return Refuse(PolicyRefusal.Malformed, $"layer {l} is truncated", out detail);
            layers[l] = new DenseLayer(inputs, outputs, new float[inputs * outputs], new float[outputs]);
            position += (int)(floats * sizeof(float));
        }
        MlpPolicy empty;
        try
        {
            empty = new MlpPolicy(layers, spec.Action.Low, spec.Action.High);
        }
        catch (ArgumentException e)
        {
            return Refuse(PolicyRefusal.WrongShape, e.Message, out detail);
        }
        verdict = VerifyInto(message, key, spec, empty, out info, out detail);
        if (verdict == PolicyRefusal.None) policy = empty;
        return verdict;
    }

    private static bool TryReadInt(ReadOnlySpan<byte> content, ref int position, out int value)
    {
        value = 0;
        if (position < 0 || content.Length - position < 4) return false;
        value = BinaryPrimitives.ReadInt32LittleEndian(content[position..]);
        position += 4;
        return true;
    }

    private static bool TryReadFloat(ReadOnlySpan<byte> content, ref int position, out float value)
    {
        value = 0;
        if (content.Length - position < 4) return false;
        value = BinaryPrimitives.ReadSingleLittleEndian(content[position..]);
        position += 4;
        return true;
    }

    private static PolicyRefusal Refuse(PolicyRefusal reason, string text, out string detail)
    {
        detail = text;
        return reason;
    }
}
