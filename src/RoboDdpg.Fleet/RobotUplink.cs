using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MQTTnet;

namespace RoboDdpg.Fleet;

/// <summary>
/// A robot's connection to its fleet: it streams the transitions of a <see cref="TransitionRing"/> to the learner and
/// hands received policy snapshots over for verification. <see cref="DirectUplink"/> runs the MQTT client in the
/// loop's own process; <see cref="Sidecar.SidecarUplink"/> runs it in a sidecar process, so that its allocations
/// never bring a garbage collection (which suspends every thread, the control loop's too) into the loop process.
/// </summary>
public interface IRobotUplink : IDisposable
{
    /// <summary>"direct" or "sidecar".</summary>
    string Kind { get; }

    bool IsConnected { get; }
    long Connects { get; }
    long ConnectionLosses { get; }

    /// <summary>Why the last connection attempt failed, if it did.</summary>
    string? LastError { get; }

    PublisherStatus Sending { get; }

    /// <summary>Why the sender stopped on its own, if it did.</summary>
    string? SenderFault { get; }

    /// <summary>Starts connecting; snapshots go to the handler given at construction from now on.</summary>
    void Start();

    /// <summary>Starts streaming the ring (the loop is about to run).</summary>
    void StartSending();

    /// <summary>Sends what the ring holds (to the broker or the spool) and waits up to <paramref name="drain"/> for the spool. Stop the loop first.</summary>
    void StopSending(TimeSpan drain);

    /// <summary>Publishes the robot's status (retained JSON, read until this returns); false when not delivered.</summary>
    bool PublishStatus(ArraySegment<byte> json);

    /// <summary>Whether a gen-0 collection in the loop's slack is due now (see <see cref="FleetActor.CollectionDue"/>).</summary>
    bool CollectionDue();
}

/// <summary>Receives one raw policy snapshot message.</summary>
public delegate void SnapshotHandler(in ReadOnlySequence<byte> message);

/// <summary>Where and how a robot sends: its id, fleet, spool and batching.</summary>
public sealed record UplinkSettings
{
    public required string RobotId { get; init; }
    public required FleetTopics Topics { get; init; }
    public required string SpoolDirectory { get; init; }
    public long SpoolMaxBytes { get; init; } = 256L << 20;
    public TransitionPublisherOptions Publisher { get; init; } = new();
}

/// <summary>
/// The MQTT client in this process: one connection subscribed to the policy and acknowledgement topics, with a last
/// will on the robot's status topic, and the <see cref="TransitionPublisher"/> sender thread over the ring. The
/// actor's sidecar process runs one of these too.
/// </summary>
public sealed class DirectUplink : IRobotUplink
{
    private readonly MqttLink _link;
    private readonly FleetTopics _topics;
    private readonly string _robotId;
    private readonly TransitionPublisher _publisher;
    private long _received;
    private long _lastSnapshot;
    private long _collectedForSnapshot;
    private long _allocatedAtCollection;
    private int _collectionsSeen = -1;

    public DirectUplink(BrokerOptions broker, UplinkSettings settings, TransitionRing ring, SnapshotHandler onSnapshot, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(onSnapshot);
        _robotId = FleetTopics.ValidateName(settings.RobotId, "robot id");
        _topics = settings.Topics;
        Spool = new DiskSpool(settings.SpoolDirectory, settings.SpoolMaxBytes);
        if (Spool.Recovered > 0) log?.Invoke($"{Spool.Recovered} undelivered batches from an earlier run are in {Spool.Directory}; they are sent first");
        var ackTopic = _topics.Ack(_robotId);
        TransitionPublisher? publisherRef = null;
        var will = new LastWill(_topics.RobotStatus(_robotId), Encoding.UTF8.GetBytes("{\"state\":\"offline\"}"), Retain: true);
        _link = new MqttLink(broker, $"roboddpg-{_topics.Fleet}-{_robotId}", persistentSession: false, will,
            e =>
            {
                var topic = e.ApplicationMessage.Topic;
                if (topic == _topics.Policy) onSnapshot(e.ApplicationMessage.Payload);
                else if (topic == ackTopic && TransitionBatch.TryParseAck(MqttLink.Contiguous(e.ApplicationMessage.Payload), out var epoch, out var end))
                    Volatile.Read(ref publisherRef)?.OnAcknowledged(epoch, end);
                var received = Interlocked.Increment(ref _received);
                if (topic == _topics.Policy) Volatile.Write(ref _lastSnapshot, received);
                return Task.CompletedTask;
            },
            async (client, token) =>
            {
                await client.SubscribeAsync(_topics.Policy, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, token).ConfigureAwait(false);
                await client.SubscribeAsync(ackTopic, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, token).ConfigureAwait(false);
            },
            log);
        var epoch = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        _publisher = new TransitionPublisher(ring, _link, _topics, _robotId, epoch, Spool, settings.Publisher);
        Volatile.Write(ref publisherRef, _publisher);
    }

    public string Kind => "direct";
    public DiskSpool Spool { get; }
    public MqttLink Link => _link;
    public bool IsConnected => _link.IsConnected;
    public long Connects => _link.Connects;
    public long ConnectionLosses => _link.ConnectionLosses;
    public string? LastError => _link.LastError;
    public PublisherStatus Sending => _publisher.Status;
    public string? SenderFault => _publisher.Fault?.Message;

    public void Start() => _link.Start();
    public void StartSending() => _publisher.Start();
    public void StopSending(TimeSpan drain) => _publisher.Stop(drain);

    public bool PublishStatus(ArraySegment<byte> json) =>
        _link.Publish(MqttLink.Message(_topics.RobotStatus(_robotId), json, retain: true), out _);

    /// <summary>Allocation (all threads) after which <see cref="CollectionDue"/> says so: a few snapshots' worth,
    /// far below the gen0 budget, so the allocator itself never gets to trigger a collection mid-payload.</summary>
    public const long CollectEveryBytes = 2L << 20;

    /// <summary>
    /// The MQTT client allocates each received policy snapshot (hundreds of KB), so snapshots are what fill gen0, and
    /// a collection the allocator triggers meets a payload still alive and copies it (3–4 ms here with the startup
    /// heap, about 1 ms after). The client's receive loop keeps the last packet referenced until the next one
    /// arrives, so a collection is due once one more message has followed a snapshot (an acknowledgement, typically
    /// within tens of ms) and <see cref="CollectEveryBytes"/> have been allocated since the last collection: the
    /// snapshot is then dead and the collection only sweeps.
    /// </summary>
    public bool CollectionDue()
    {
        var snapshot = Volatile.Read(ref _lastSnapshot);
        if (snapshot == _collectedForSnapshot || Volatile.Read(ref _received) <= snapshot) return false;
        _collectedForSnapshot = snapshot;
        // Allocation since the last collection, whoever ran it.
        var collections = GC.CollectionCount(0);
        if (collections != _collectionsSeen)
        {
            _collectionsSeen = collections;
            _allocatedAtCollection = GC.GetTotalAllocatedBytes();
        }
        if (GC.GetTotalAllocatedBytes() - _allocatedAtCollection < CollectEveryBytes) return false;
        // Counted as done from here: the loop collects within a tick or two.
        _collectionsSeen = collections + 1;
        _allocatedAtCollection = GC.GetTotalAllocatedBytes();
        return true;
    }

    public void Dispose()
    {
        _publisher.Dispose();
        _link.Dispose();
    }
}
