using System.Security.Cryptography;
using RoboDdpg.Core.IO;

namespace RoboDdpg.Fleet;

/// <summary>
/// The fleet's shared secret: policy snapshots are signed with HMAC-SHA256 under it, and a robot acts only on
/// snapshots whose signature verifies. A checksum alone would not stop deliberate tampering (anyone who can publish
/// to the broker could recompute it); the signature needs the key. The key file holds the key as hex text
/// (at least <see cref="MinimumBytes"/> bytes), created by <see cref="Generate"/> and <see cref="Save"/> with owner-only permissions.
/// </summary>
public sealed class FleetKey
{
    public const int MinimumBytes = 16;
    public const int SignatureBytes = HMACSHA256.HashSizeInBytes;

    private readonly byte[] _key;

    public FleetKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumBytes) throw new ArgumentException($"a fleet key needs at least {MinimumBytes} bytes", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>A new random 32-byte key.</summary>
    public static FleetKey Generate() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>Reads a key file (hex text); a missing, unreadable or malformed file is a one-line <see cref="FleetConfigException"/>.</summary>
    public static FleetKey Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FleetConfigException($"{path}: fleet key file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FleetConfigException($"{path}: cannot read fleet key file ({e.Message})");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new FleetConfigException($"{path}: fleet key file must hold the key as hex text (e.g. made by 'roboddpg learner', which writes fleet.key)");
        }
        if (bytes.Length < MinimumBytes)
            throw new FleetConfigException($"{path}: fleet key has {bytes.Length} bytes, at least {MinimumBytes} are needed");
        return new FleetKey(bytes);
    }

    /// <summary>Writes the key as hex text, atomically, readable by the owner only.</summary>
    public void Save(string path)
    {
        AtomicFile.WriteAllText(path, Convert.ToHexString(_key).ToLowerInvariant() + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>HMAC-SHA256 of <paramref name="data"/> into <paramref name="signature"/> (32 bytes).</summary>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => HMACSHA256.HashData(_key, data, signature);

    /// <summary>True when <paramref name="signature"/> is the HMAC of <paramref name="data"/> under this key (constant-time comparison).</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureBytes) return false;
        Span<byte> expected = stackalloc byte[SignatureBytes];
        Sign(data, expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }
}
