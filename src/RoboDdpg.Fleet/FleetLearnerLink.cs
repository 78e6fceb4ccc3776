using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using RoboDdpg.Core.Policy;

namespace RoboDdpg.Fleet;

/// <summary>
/// The learner's connection to the fleet: a persistent MQTT session subscribed to every robot's transition topic
/// (so a standalone broker queues transitions while the learner restarts), feeding a <see cref="TransitionIngestor"/>,
/// and the publisher of signed, retained policy snapshots. No TorchSharp here: the learner host supplies the policy.
/// </summary>
public sealed class FleetLearnerLink : IDisposable
{
    private readonly FleetTopics _topics;
    private readonly FleetKey _key;
    private readonly MqttLink _link;
    private readonly TransitionIngestor _ingestor;
    private long _published;
    private long _handlerFaults;

    public FleetLearnerLink(BrokerOptions broker, FleetTopics topics, FleetKey key, TransitionIngestor ingestor, Action<string>? log = null)
    {
        _topics = topics ?? throw new ArgumentNullException(nameof(topics));
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _ingestor = ingestor ?? throw new ArgumentNullException(nameof(ingestor));
        var will = new LastWill(topics.LearnerStatus, "{\"state\":\"offline\"}"u8.ToArray(), Retain: true);
        _link = new MqttLink(broker, $"roboddpg-{topics.Fleet}-learner", persistentSession: true, will,
            e =>
            {
                try
                {
                    ingestor.Handle(e.ApplicationMessage.Topic, MqttLink.Contiguous(e.ApplicationMessage.Payload));
                }
                catch (Exception x) when (x is not OutOfMemoryException)
                {
                    // Never let one message take the learner down; the ingestor already refuses what it can recognize.
                    Interlocked.Increment(ref _handlerFaults);
                    log?.Invoke($"dropped a message on {e.ApplicationMessage.Topic}: {x.Message.Split('\n')[0]}");
                }
                return Task.CompletedTask;
            },
            (client, token) => client.SubscribeAsync(topics.TransitionsFilter, MqttQualityOfServiceLevel.AtLeastOnce, token),
            log);
    }

    public MqttLink Link => _link;
    public long PoliciesPublished => Interlocked.Read(ref _published);
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);

    public void Start()
    {
        _link.Start();
        _acker = new Thread(AckLoop) { Name = "roboddpg-acks", IsBackground = true };
        _acker.Start();
    }

    private Thread? _acker;
    private volatile bool _stopping;

    // Every 50 ms the robots whose gap-free prefix grew hear about it; every 2 s all recently active robots do, in
    // case an acknowledgement was lost. A robot keeps each batch until it is acknowledged, so a broker that acknowledged
    // a batch and then died before delivering it cannot lose it.
    private void AckLoop()
    {
        var round = 0;
        while (!_stopping)
        {
            Thread.Sleep(50);
            if (!_link.IsConnected) continue;
            foreach (var (robot, epoch, end) in _ingestor.TakeAcknowledgements(all: ++round % 40 == 0))
                _link.Publish(MqttLink.Message(_topics.Ack(robot), new ArraySegment<byte>(TransitionBatch.EncodeAck(epoch, end)), retain: false), out _);
        }
    }

    /// <summary>Signs and publishes a snapshot (retained, QoS 1); false when the broker did not acknowledge it.</summary>
    public bool PublishPolicy(MlpPolicy policy, PolicySnapshotInfo info)
    {
        var message = PolicySnapshotMessage.Encode(policy, info, _key);
        var ok = _link.Publish(MqttLink.Message(_topics.Policy, new ArraySegment<byte>(message), retain: true), out _);
        if (ok) Interlocked.Increment(ref _published);
        return ok;
    }

    /// <summary>Publishes the learner's status (retained JSON).</summary>
    public bool PublishStatus(IReadOnlyDictionary<string, object?> fields)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(fields);
        return _link.Publish(MqttLink.Message(_topics.LearnerStatus, new ArraySegment<byte>(json), retain: true), out _);
    }

    public void Dispose()
    {
        _stopping = true;
        _acker?.Join();
        _link.Dispose();
    }
}
