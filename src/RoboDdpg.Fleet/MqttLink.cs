using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace RoboDdpg.Fleet;

/// <summary>A last-will message the broker publishes when the client disappears without saying goodbye.</summary>
public sealed record LastWill(string Topic, byte[] Payload, bool Retain);

/// <summary>
/// One MQTT 5 client connection kept alive in the background: it connects, calls <c>onConnected</c> (subscribe there),
/// and after any loss of connection reconnects with back-off until disposed. Publishing never throws: it reports
/// whether the broker acknowledged the message in time. A persistent session keeps the client's subscriptions and
/// makes the broker queue QoS 1 messages for it while it is away (the learner uses one).
/// </summary>
public sealed class MqttLink : IDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly Func<IMqttClient, CancellationToken, Task>? _onConnected;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Action<string>? _log;
    private Task? _keeper;
    private volatile bool _ready;
    private long _connects;
    private long _connectionLosses;

    /// <param name="clientId">Unique per connection on the broker.</param>
    /// <param name="persistentSession">Keep subscriptions and queued messages for this client id across reconnects (for an hour).</param>
    /// <param name="onMessage">Handles an incoming message; the message is acknowledged after it returns.</param>
    /// <param name="onConnected">Runs after every (re)connection, before <see cref="IsConnected"/> turns true.</param>
    public MqttLink(BrokerOptions broker, string clientId, bool persistentSession, LastWill? will,
        Func<MqttApplicationMessageReceivedEventArgs, Task>? onMessage, Func<IMqttClient, CancellationToken, Task>? onConnected, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        Broker = broker;
        _onConnected = onConnected;
        _log = log;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(broker.Timeout)
            .WithKeepAlivePeriod(broker.KeepAlive)
            .WithCleanStart(!persistentSession)
            .WithSessionExpiryInterval(persistentSession ? 3600u : 0u);
        if (broker.Username is not null) builder = builder.WithCredentials(broker.Username, broker.Password ?? "");
        if (broker.UseTls)
        {
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(broker.Host);
                if (broker.TrustedCertificates is { } roots)
                    tls.WithCertificateValidationHandler(e => ValidateWithRoots(e.Certificate, e.SslPolicyErrors, roots, broker.Host));
            });
        }
        if (will is not null)
        {
            builder = builder.WithWillTopic(will.Topic).WithWillPayload(will.Payload).WithWillRetain(will.Retain)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        }
        _options = builder.Build();
        // Socket buffers of 1 MB instead of MQTTnet's 8 KB: a policy snapshot of a few hundred KB otherwise crawls
        // through a tiny TCP window (tens of milliseconds even on localhost).
        if (_options.ChannelOptions is MqttClientTcpOptions tcp) tcp.BufferSize = 1 << 20;
        _client = new MqttClientFactory().CreateMqttClient();
        if (onMessage is not null) _client.ApplicationMessageReceivedAsync += onMessage;
        _client.DisconnectedAsync += e =>
        {
            if (_ready)
            {
                _ready = false;
                if (_stop.IsCancellationRequested) return Task.CompletedTask; // our own goodbye
                Interlocked.Increment(ref _connectionLosses);
                _log?.Invoke($"lost the broker {Broker.Uri} ({e.Reason}{(e.Exception is { } x ? ": " + x.Message.Split('\n')[0] : "")}); reconnecting");
            }
            _wake.Release();
            return Task.CompletedTask;
        };
    }

    public BrokerOptions Broker { get; }

    /// <summary>Connected and subscribed (the on-connected step has finished).</summary>
    public bool IsConnected => _ready && _client.IsConnected;

    public long Connects => Interlocked.Read(ref _connects);
    public long ConnectionLosses => Interlocked.Read(ref _connectionLosses);

    /// <summary>Why the last connection attempt failed, if it did.</summary>
    public string? LastError { get; private set; }

    /// <summary>Starts connecting in the background.</summary>
    public void Start()
    {
        if (_keeper is not null) throw new InvalidOperationException("already started");
        _keeper = Task.Run(KeepConnectedAsync);
    }

    /// <summary>Waits until connected; false on timeout.</summary>
    public bool WaitConnected(TimeSpan timeout, CancellationToken cancellation = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsConnected)
        {
            if (DateTime.UtcNow >= deadline || cancellation.IsCancellationRequested) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    /// <summary>
    /// Publishes at QoS 1 and waits for the broker's acknowledgement. False when not connected, timed out, refused,
    /// or (for a message that is not retained) acknowledged with "no matching subscribers".
    /// </summary>
    public bool Publish(MqttApplicationMessage message, out MqttClientPublishReasonCode? reason)
    {
        reason = null;
        if (!IsConnected) return false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(Broker.Timeout);
            var result = _client.PublishAsync(message, timeout.Token).GetAwaiter().GetResult();
            reason = result.ReasonCode;
            // MQTT 5 counts "no matching subscribers" as a success: the broker took the message and dropped it. For a
            // transition batch that is a loss (no learner is listening), so only a retained message counts as delivered then.
            return result.ReasonCode == MqttClientPublishReasonCode.Success
                   || (message.Retain && result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LastError = e.Message.Split('\n')[0];
            return false;
        }
    }

    /// <summary>Builds a QoS 1 message whose payload is a view of <paramref name="payload"/> (kept until the publish returns).</summary>
    public static MqttApplicationMessage Message(string topic, ArraySegment<byte> payload, bool retain) => new()
    {
        Topic = topic,
        PayloadSegment = payload,
        QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
        Retain = retain,
    };

    private async Task KeepConnectedAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!_stop.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                _ready = false;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    timeout.CancelAfter(Broker.Timeout);
                    await _client.ConnectAsync(_options, timeout.Token).ConfigureAwait(false);
                    if (_onConnected is not null) await _onConnected(_client, timeout.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _connects);
                    LastError = null;
                    _ready = true;
                    backoff = TimeSpan.FromMilliseconds(200);
                    _log?.Invoke($"connected to {Broker.Uri}");
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (_stop.IsCancellationRequested) break;
                    var reason = e.Message.Split('\n')[0];
                    if (reason != LastError) _log?.Invoke($"cannot reach the broker {Broker.Uri}: {reason}; retrying");
                    LastError = reason;
                    try { await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false); }
                    catch (Exception x) when (x is not OutOfMemoryException) { }
                    await WaitAsync(backoff).ConfigureAwait(false);
                    backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
                    continue;
                }
            }
            await WaitAsync(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(TimeSpan delay)
    {
        try { await _wake.WaitAsync(delay, _stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private static bool ValidateWithRoots(X509Certificate certificate, SslPolicyErrors errors, X509Certificate2Collection roots, string host)
    {
        if (errors == SslPolicyErrors.None) return true;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf) && host.Length > 0;
    }

    /// <summary>Disconnects cleanly (the broker does not publish the last will) and stops reconnecting.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        try { _keeper?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        try
        {
            if (_client.IsConnected)
                _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).Wait(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is not OutOfMemoryException) { }
        _client.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    /// <summary>The payload as one span (copying only when the transport delivered it in pieces).</summary>
    public static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> payload) =>
        payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
}
