using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RoboDdpg.Fleet;

/// <summary>
/// How to reach the broker: <c>mqtt://host[:port]</c> (plain TCP, port 1883) or <c>mqtts://host[:port]</c> (TLS, port 8883),
/// optional username and password, and for TLS an optional CA certificate to trust (a private CA or a self-signed broker).
/// </summary>
public sealed record BrokerOptions
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public bool UseTls { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Certificates trusted as roots for the broker's TLS certificate (in addition to the system's).</summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    /// <summary>Time to connect, and to wait for an acknowledgement before a message counts as not delivered.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Keep-alive: a silent dead connection is noticed within about 1.5 times this.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(5);

    public string Uri => $"{(UseTls ? "mqtts" : "mqtt")}://{Host}:{Port}";

    /// <summary>Parses a broker URI; a bad one is a one-line <see cref="FleetConfigException"/>.</summary>
    public static BrokerOptions Parse(string uri)
    {
        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
            throw new FleetConfigException($"broker '{uri}' is not a URI like mqtt://host:1883 or mqtts://host:8883");
        var tls = parsed.Scheme switch
        {
            "mqtt" or "tcp" => false,
            "mqtts" or "ssl" or "tls" => true,
            _ => throw new FleetConfigException($"broker '{uri}': scheme '{parsed.Scheme}' is not supported (mqtt:// or mqtts://)"),
        };
        if (parsed.AbsolutePath is not ("" or "/") || parsed.Query.Length > 0)
            throw new FleetConfigException($"broker '{uri}': a broker URI has no path or query");
        string? user = null;
        if (parsed.UserInfo.Length > 0)
        {
            if (parsed.UserInfo.Contains(':'))
                throw new FleetConfigException($"broker '{uri}': do not put a password in the URI; use --password-file");
            user = System.Uri.UnescapeDataString(parsed.UserInfo);
        }
        return new BrokerOptions
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port < 0 ? (tls ? 8883 : 1883) : parsed.Port,
            UseTls = tls,
            Username = user,
        };
    }

    /// <summary>Reads a password file (first line); errors name the file.</summary>
    public static string ReadPasswordFile(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            var line = text.Split('\n')[0].TrimEnd('\r');
            if (line.Length == 0) throw new FleetConfigException($"{path}: password file is empty");
            return line;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FleetConfigException($"{path}: cannot read password file ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>Reads PEM or DER certificates to trust; errors name the file.</summary>
    public static X509Certificate2Collection ReadCertificates(string path)
    {
        try
        {
            var collection = new X509Certificate2Collection();
            var text = File.ReadAllText(path);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)) collection.ImportFromPemFile(path);
            else collection.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            if (collection.Count == 0) throw new FleetConfigException($"{path}: holds no certificate");
            return collection;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new FleetConfigException($"{path}: cannot read CA certificate ({e.Message.Split('\n')[0]})");
        }
    }
}
