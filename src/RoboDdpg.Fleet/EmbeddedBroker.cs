using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace RoboDdpg.Fleet;

/// <summary>Settings of the broker a learner can run in its own process.</summary>
public sealed record EmbeddedBrokerOptions
{
    /// <summary>Address to listen on; <see cref="IPAddress.Any"/> lets robots on the network connect.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    public int Port { get; init; } = 1883;

    /// <summary>When set, clients must log in with these credentials.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>When set, the broker listens with TLS (on <see cref="Port"/>) using this certificate with its private key, and not in plain text.</summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary>QoS 1 messages queued per client that is not reading (e.g. a learner between sessions).</summary>
    public int MaxPendingMessagesPerClient { get; init; } = 100_000;
}

/// <summary>
/// A standard MQTT broker (MQTTnet.Server) inside the learner process: the zero-setup case, where robots connect
/// straight to the learner's machine. Persistent sessions and retained messages live in memory, so they end with the
/// process; a fleet that must survive learner restarts uses a standalone broker such as Mosquitto.
/// </summary>
public sealed class EmbeddedBroker : IDisposable
{
    private readonly MqttServer _server;

    private EmbeddedBroker(MqttServer server, EmbeddedBrokerOptions options)
    {
        _server = server;
        Options = options;
    }

    public EmbeddedBrokerOptions Options { get; }

    /// <summary>Connections refused for bad credentials.</summary>
    public long RefusedLogins => Interlocked.Read(ref _refusedLogins);

    private long _refusedLogins;

    /// <summary>The address a client on this machine uses.</summary>
    public string LocalUri => $"{(Options.TlsCertificate is null ? "mqtt" : "mqtts")}://127.0.0.1:{Options.Port}";

    /// <summary>Starts listening; a port in use is a one-line <see cref="FleetConfigException"/>.</summary>
    public static EmbeddedBroker Start(EmbeddedBrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new MqttServerOptionsBuilder()
            .WithPersistentSessions()
            .WithMaxPendingMessagesPerClient(options.MaxPendingMessagesPerClient);
        if (options.TlsCertificate is { } certificate)
        {
            builder = builder.WithoutDefaultEndpoint().WithEncryptedEndpoint().WithEncryptedEndpointPort(options.Port)
                .WithEncryptedEndpointBoundIPAddress(options.BindAddress).WithEncryptionCertificate(certificate).WithTlsEndpointReuseAddress()
                .WithEncryptionSslProtocol(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13);
        }
        else
        {
            builder = builder.WithDefaultEndpoint().WithDefaultEndpointPort(options.Port).WithDefaultEndpointBoundIPAddress(options.BindAddress)
                .WithDefaultEndpointReuseAddress(); // a restarted learner gets its port back at once
        }
        var server = new MqttServerFactory().CreateMqttServer(builder.Build());
        var broker = new EmbeddedBroker(server, options);
        server.InterceptingPublishAsync += e =>
        {
            if (broker._refusedPrefix is { } prefix && e.ApplicationMessage.Topic.StartsWith(prefix, StringComparison.Ordinal))
            {
                e.ProcessPublish = false; // the publisher gets no success and keeps the message (a robot spools it)
                e.Response.ReasonCode = MqttPubAckReasonCode.ImplementationSpecificError;
                e.Response.ReasonString = "the learner is shutting down";
            }
            return Task.CompletedTask;
        };
        if (options.Username is not null)
        {
            server.ValidatingConnectionAsync += e =>
            {
                if (e.UserName != options.Username || e.Password != options.Password)
                {
                    e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
                    Interlocked.Increment(ref broker._refusedLogins);
                }
                return Task.CompletedTask;
            };
        }
        try
        {
            server.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            server.Dispose();
            throw new FleetConfigException($"embedded broker cannot listen on {options.BindAddress}:{options.Port} ({e.Message.Split('\n')[0]})");
        }
        return broker;
    }

    private volatile string? _refusedPrefix;

    /// <summary>
    /// From now on publishes to topics starting with <paramref name="topicPrefix"/> are not acknowledged as delivered,
    /// so their senders keep them. A learner shutting down calls this before it stops ingesting: transitions the broker
    /// would otherwise accept and then lose with the process stay in the robots' spools for the next learner.
    /// </summary>
    public void RefusePublishes(string topicPrefix) => _refusedPrefix = topicPrefix ?? throw new ArgumentNullException(nameof(topicPrefix));

    public void Dispose()
    {
        try { _server.StopAsync().Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _server.Dispose();
    }
}
