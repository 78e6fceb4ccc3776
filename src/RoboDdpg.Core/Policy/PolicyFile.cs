using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RoboDdpg.Core.IO;

namespace RoboDdpg.Core.Policy;

/// <summary>
/// The portable policy file: everything needed to run the actor without TorchSharp.
/// Layout (little-endian): magic "RDDPGPOL", format version (int32), metadata JSON (length-prefixed UTF-8),
/// action low/high, (version 2) observation size with the observation offset and scale, layer count, then per layer
/// inputs, outputs, weights, biases; finally a SHA-256 of all preceding bytes, so a truncated or altered file is
/// refused before it can drive a motor. Version 1 files (no observation scaling) still load.
/// </summary>
public static class PolicyFile
{
    private static ReadOnlySpan<byte> Magic => "RDDPGPOL"u8;
    public const int FormatVersion = 2;
    private const int MaxLayerSize = 1 << 16;

    public static void Save(string path, MlpPolicy policy, PolicyMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(metadata);
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            var json = JsonSerializer.SerializeToUtf8Bytes(metadata);
            w.Write(json.Length);
            w.Write(json);
            w.Write(policy.ActionSize);
            foreach (var v in policy.ActionLow) w.Write(v);
            foreach (var v in policy.ActionHigh) w.Write(v);
            var scaling = policy.ObservationScaling;
            w.Write(policy.ObservationSize);
            for (var i = 0; i < policy.ObservationSize; i++) w.Write(scaling?.Offset[i] ?? 0f);
            for (var i = 0; i < policy.ObservationSize; i++) w.Write(scaling?.Scale[i] ?? 1f);
            w.Write(policy.Layers.Count);
            foreach (var layer in policy.Layers)
            {
                w.Write(layer.Inputs);
                w.Write(layer.Outputs);
                foreach (var v in layer.Weights) w.Write(v);
                foreach (var v in layer.Bias) w.Write(v);
            }
        }
        var bytes = body.ToArray();
        var hash = SHA256.HashData(bytes);
        AtomicFile.Write(path, s =>
        {
            s.Write(bytes);
            s.Write(hash);
        });
    }

    public static (MlpPolicy Policy, PolicyMetadata Metadata) Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException) { throw new PolicyFormatException($"{path}: policy file not found"); }
        catch (DirectoryNotFoundException) { throw new PolicyFormatException($"{path}: policy file not found"); }
        catch (UnauthorizedAccessException) { throw new PolicyFormatException($"{path}: policy file is not readable"); }
        catch (IOException e) { throw new PolicyFormatException($"{path}: cannot read policy file ({e.Message})"); }

        if (bytes.Length < Magic.Length + 4 + SHA256.HashSizeInBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new PolicyFormatException($"{path}: not a RoboDdpg policy file");
        var body = bytes.AsSpan(0, bytes.Length - SHA256.HashSizeInBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(body.Length)))
            throw new PolicyFormatException($"{path}: checksum mismatch (file is corrupted or was modified)");

        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length, writable: false));
            r.ReadBytes(Magic.Length);
            var version = r.ReadInt32();
            if (version is < 1 or > FormatVersion)
                throw new PolicyFormatException($"{path}: policy format version {version} is not supported (this build reads 1 to {FormatVersion})");
            var json = r.ReadBytes(ReadCount(r, path, bytes.Length, "metadata length"));
            var metadata = JsonSerializer.Deserialize<PolicyMetadata>(json)
                           ?? throw new PolicyFormatException($"{path}: metadata is empty");
            var actionSize = ReadCount(r, path, MaxLayerSize, "action size");
            var low = ReadFloats(r, actionSize);
            var high = ReadFloats(r, actionSize);
            ObservationScaling? scaling = null;
            if (version >= 2)
            {
                var observationSize = ReadCount(r, path, MaxLayerSize, "observation size");
                var offset = ReadFloats(r, observationSize);
                var scale = ReadFloats(r, observationSize);
                scaling = new ObservationScaling(offset, scale);
                if (scaling.IsIdentity) scaling = null;
            }
            var layerCount = ReadCount(r, path, 64, "layer count");
            var layers = new DenseLayer[layerCount];
            for (var i = 0; i < layerCount; i++)
            {
                var inputs = ReadCount(r, path, MaxLayerSize, "layer inputs");
                var outputs = ReadCount(r, path, MaxLayerSize, "layer outputs");
                layers[i] = new DenseLayer(inputs, outputs, ReadFloats(r, inputs * outputs), ReadFloats(r, outputs));
            }
            if (r.BaseStream.Position != body.Length)
                throw new PolicyFormatException($"{path}: unexpected data after the last layer");
            var policy = new MlpPolicy(layers, low, high, scaling);
            if (metadata.ObservationNames.Count != policy.ObservationSize || metadata.ActionNames.Count != policy.ActionSize)
                throw new PolicyFormatException($"{path}: metadata names {metadata.ObservationNames.Count} observations and {metadata.ActionNames.Count} actions, the network has {policy.ObservationSize} and {policy.ActionSize}");
            return (policy, metadata);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or JsonException)
        {
            throw new PolicyFormatException($"{path}: malformed policy file ({e.Message})", e);
        }
    }

    private static int ReadCount(BinaryReader r, string path, int max, string what)
    {
        var n = r.ReadInt32();
        if (n < 1 || n > max) throw new PolicyFormatException($"{path}: {what} {n} is out of range");
        return n;
    }

    private static float[] ReadFloats(BinaryReader r, int count)
    {
        var values = new float[count];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
