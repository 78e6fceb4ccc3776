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
    private long _published;
    private long _handlerFaults;

    public FleetLearnerLink(BrokerOptions broker, FleetTopics topics, FleetKey key, TransitionIngestor ingestor, Action<string>? log = null)
    {
        _topics = topics ?? throw new ArgumentNullException(nameof(topics));
        _key = key ?? throw new ArgumentNullException(nameof(key));
        ArgumentNullException.ThrowIfNull(ingestor);
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

    public void Start() => _link.Start();

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

    public void Dispose() => _link.Dispose();
}
