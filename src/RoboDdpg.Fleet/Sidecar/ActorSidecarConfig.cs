using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RoboDdpg.Fleet.Sidecar;

/// <summary>
/// What the sidecar process needs, sent as one JSON line on its standard input (never on the command line, where
/// any user could read the broker password).
/// </summary>
public sealed record ActorSidecarConfig
{
    public required string SharedMemory { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public bool UseTls { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? TrustedCertificatesPem { get; init; }
    public double TimeoutSeconds { get; init; }
    public double KeepAliveSeconds { get; init; }
    public required string Fleet { get; init; }
    public required string RobotId { get; init; }
    public required string SpoolDirectory { get; init; }
    public long SpoolMaxBytes { get; init; }
    public int MaxBatch { get; init; }
    public double FlushIntervalSeconds { get; init; }
    public double RetryIntervalSeconds { get; init; }

    public static ActorSidecarConfig From(string sharedMemory, BrokerOptions broker, UplinkSettings settings) => new()
    {
        SharedMemory = sharedMemory,
        Host = broker.Host,
        Port = broker.Port,
        UseTls = broker.UseTls,
        Username = broker.Username,
        Password = broker.Password,
        TrustedCertificatesPem = broker.TrustedCertificates is { } roots ? string.Concat(roots.Select(c => c.ExportCertificatePem() + "\n")) : null,
        TimeoutSeconds = broker.Timeout.TotalSeconds,
        KeepAliveSeconds = broker.KeepAlive.TotalSeconds,
        Fleet = settings.Topics.Fleet,
        RobotId = settings.RobotId,
        SpoolDirectory = settings.SpoolDirectory,
        SpoolMaxBytes = settings.SpoolMaxBytes,
        MaxBatch = settings.Publisher.MaxBatch,
        FlushIntervalSeconds = settings.Publisher.FlushInterval.TotalSeconds,
        RetryIntervalSeconds = settings.Publisher.RetryInterval.TotalSeconds,
    };

    public BrokerOptions Broker()
    {
        X509Certificate2Collection? roots = null;
        if (TrustedCertificatesPem is not null)
        {
            roots = [];
            roots.ImportFromPem(TrustedCertificatesPem);
        }
        return new BrokerOptions
        {
            Host = Host,
            Port = Port,
            UseTls = UseTls,
            Username = Username,
            Password = Password,
            TrustedCertificates = roots,
            Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
            KeepAlive = TimeSpan.FromSeconds(KeepAliveSeconds),
        };
    }

    public UplinkSettings Settings() => new()
    {
        RobotId = RobotId,
        Topics = new FleetTopics(Fleet),
        SpoolDirectory = SpoolDirectory,
        SpoolMaxBytes = SpoolMaxBytes,
        Publisher = new TransitionPublisherOptions
        {
            MaxBatch = MaxBatch,
            FlushInterval = TimeSpan.FromSeconds(FlushIntervalSeconds),
            RetryInterval = TimeSpan.FromSeconds(RetryIntervalSeconds),
        },
    };

    public string ToJsonLine() => JsonSerializer.Serialize(this, SidecarJson.Default.ActorSidecarConfig);

    /// <summary>Parses the config line; anything else is a one-line <see cref="FleetConfigException"/>.</summary>
    public static ActorSidecarConfig Parse(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) throw new FleetConfigException("actor-link: expected the sidecar configuration (one JSON line) on standard input; this command is started by `actor`");
        try
        {
            return JsonSerializer.Deserialize(line, SidecarJson.Default.ActorSidecarConfig)
                   ?? throw new FleetConfigException("actor-link: the configuration line is null");
        }
        catch (JsonException e)
        {
            throw new FleetConfigException($"actor-link: bad configuration line ({e.Message.Split('\n')[0]})");
        }
    }
}

[JsonSerializable(typeof(ActorSidecarConfig))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class SidecarJson : JsonSerializerContext;
