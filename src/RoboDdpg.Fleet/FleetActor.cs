using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MQTTnet;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;

namespace RoboDdpg.Fleet;

/// <summary>Settings of a robot acting for a remote learner.</summary>
public sealed record FleetActorOptions
{
    public required string RobotId { get; init; }
    public string Fleet { get; init; } = FleetTopics.DefaultFleet;

    /// <summary>Seed of episode resets, exploration noise and random warm-up actions.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Gaussian exploration noise σ as a fraction of the action half-range.</summary>
    public double NoiseSigma { get; init; } = 0.1;

    /// <summary>Transitions with uniform random actions first, when the first policy received is untrained (0 updates).</summary>
    public long WarmupTransitions { get; init; } = 1_000;

    /// <summary>Transitions the loop can get ahead of the sender thread.</summary>
    public int RingCapacity { get; init; } = 1 << 16;

    public required string SpoolDirectory { get; init; }

    /// <summary>Bound of the on-disk spool; beyond it the oldest undelivered batches are dropped (and counted).</summary>
    public long SpoolMaxBytes { get; init; } = 256L << 20;

    /// <summary>How long to wait for the first policy snapshot before giving up.</summary>
    public TimeSpan PolicyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The environment the learner trains on, which every snapshot names: null for the plant's own name (a twin acting
    /// as a robot); a robot gives the twin its description is laid out like (the learner's <c>--env</c>).
    /// </summary>
    public string? PolicyEnvironment { get; init; }

    /// <summary>Real-time plants (robots): ticks of safe action between episodes, e.g. for an arm to come to rest.</summary>
    public int SettleTicks { get; init; }

    public TransitionPublisherOptions Publisher { get; init; } = new();
    public SafetyOptions Safety { get; init; } = new();
}

/// <summary>
/// A robot (or twin) acting for a remote learner: the control loop runs the newest verified policy snapshot with
/// exploration noise through the safety layer and records transitions into a ring; a sender thread streams them to
/// the broker; policy snapshots arrive on the MQTT client's thread and are verified before the loop sees them.
/// If the broker or learner is unreachable the robot keeps acting on its last policy and spools transitions to disk.
/// Run <see cref="Control"/> on a <see cref="Core.Timing.RealtimeLoop"/> and call <see cref="StartSending"/>.
/// The environment comes from the caller (a twin or a hardware driver), started and active.
/// </summary>
public sealed class FleetActor : IDisposable
{
    private readonly MqttLink _link;
    private readonly FleetTopics _topics;
    private readonly string _robotId;

    private FleetActor(MqttLink link, FleetTopics topics, string robotId, PolicyReceiver policies, PolicySnapshotExchange snapshots,
        ControlLoop control, TransitionRing ring, TransitionPublisher publisher, DiskSpool spool, MessageCounters messages)
    {
        _messages = messages;
        _link = link;
        _topics = topics;
        _robotId = robotId;
        Policies = policies;
        Snapshots = snapshots;
        Control = control;
        Ring = ring;
        Publisher = publisher;
        Spool = spool;
    }

    public PolicyReceiver Policies { get; }
    public PolicySnapshotExchange Snapshots { get; }
    public ControlLoop Control { get; }
    public TransitionRing Ring { get; }
    public TransitionPublisher Publisher { get; }
    public DiskSpool Spool { get; }
    public MqttLink Link => _link;

    /// <summary>
    /// Connects, waits for the first verified policy snapshot (it fixes the network shape), and builds the loop.
    /// No policy within <see cref="FleetActorOptions.PolicyTimeout"/> is a one-line <see cref="FleetConfigException"/>.
    /// </summary>
    public static FleetActor Connect(IEnvironment environment, BrokerOptions broker, FleetKey key, FleetActorOptions options,
        Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        var robotId = FleetTopics.ValidateName(options.RobotId, "robot id");
        var topics = new FleetTopics(options.Fleet);
        var spec = environment.Spec;
        var spool = new DiskSpool(options.SpoolDirectory, options.SpoolMaxBytes);
        if (spool.Recovered > 0) log?.Invoke($"{spool.Recovered} undelivered batches from an earlier run are in {spool.Directory}; they are sent first");
        // Snapshots are checked against the robot's shapes and bounds, and must name the learner's environment.
        var policies = new PolicyReceiver(key, options.PolicyEnvironment is { } trainedOn ? spec with { Name = trainedOn } : spec, log);
        var ackTopic = topics.Ack(robotId);
        TransitionPublisher? publisherRef = null;
        var counters = new MessageCounters();
        var will = new LastWill(topics.RobotStatus(robotId), Encoding.UTF8.GetBytes("{\"state\":\"offline\"}"), Retain: true);
        var link = new MqttLink(broker, $"roboddpg-{options.Fleet}-{robotId}", persistentSession: false, will,
            e =>
            {
                var topic = e.ApplicationMessage.Topic;
                if (topic == topics.Policy) policies.Handle(e.ApplicationMessage.Payload);
                else if (topic == ackTopic && TransitionBatch.TryParseAck(MqttLink.Contiguous(e.ApplicationMessage.Payload), out var epoch, out var end))
                    Volatile.Read(ref publisherRef)?.OnAcknowledged(epoch, end);
                var received = Interlocked.Increment(ref counters.Received);
                if (topic == topics.Policy) Volatile.Write(ref counters.LastSnapshot, received);
                return Task.CompletedTask;
            },
            async (client, token) =>
            {
                await client.SubscribeAsync(topics.Policy, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, token).ConfigureAwait(false);
                await client.SubscribeAsync(ackTopic, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, token).ConfigureAwait(false);
            },
            log);
        try
        {
            link.Start();
            var first = policies.WaitForFirst(options.PolicyTimeout, cancellation);
            if (first is null)
            {
                if (cancellation.IsCancellationRequested) throw new OperationCanceledException(cancellation);
                var status = policies.Status;
                var why = !link.IsConnected ? $"the broker {broker.Uri} is unreachable ({link.LastError ?? "no answer"})"
                    : status.Refused > 0 ? $"every snapshot was refused (last: {status.LastRefusal})"
                    : $"nothing was published on {topics.Policy}; is the learner running for fleet '{options.Fleet}'?";
                throw new FleetConfigException($"no policy snapshot within {options.PolicyTimeout.TotalSeconds:0.#} s: {why}");
            }
            var snapshots = policies.CreateExchange();
            var untrained = policies.Current!.Updates == 0;
            var ring = new TransitionRing(options.RingCapacity, spec.ObservationSize, spec.ActionSize);
            var noise = new GaussianNoise(spec.ActionSize, options.NoiseSigma, new Xoshiro256(options.Seed ^ 0x5eed));
            var control = new ControlLoop(environment, snapshots, noise, new SafetyLayer(spec, options.Safety), ring,
                new ControlLoopOptions { Seed = options.Seed, RandomActionTransitions = untrained ? options.WarmupTransitions : 0, SettleTicks = options.SettleTicks });
            var epoch = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
            var publisher = new TransitionPublisher(ring, link, topics, robotId, epoch, spool, options.Publisher);
            Volatile.Write(ref publisherRef, publisher);
            return new FleetActor(link, topics, robotId, policies, snapshots, control, ring, publisher, spool, counters);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    public void StartSending() => Publisher.Start();

    /// <summary>Messages the MQTT client delivered, and the number of the last policy snapshot among them.</summary>
    private sealed class MessageCounters
    {
        public long Received;
        public long LastSnapshot;
    }

    private readonly MessageCounters _messages;
    private long _collectedForSnapshot;
    private long _allocatedAtCollection;
    private int _collectionsSeen = -1;

    /// <summary>Allocation (all threads) after which <see cref="CollectionDue"/> says so: a few snapshots' worth,
    /// far below the gen0 budget, so the allocator itself never gets to trigger a collection mid-payload.</summary>
    public const long CollectEveryBytes = 2L << 20;

    /// <summary>
    /// Whether a gen-0 collection is due now; call it from a supervising thread every few tens of ms and, when true,
    /// have the loop run it in its slack (<see cref="Core.Timing.RealtimeLoop.RequestCollection"/>). The MQTT client
    /// allocates each received policy snapshot (hundreds of KB), so snapshots are what fill gen0, and a collection the
    /// allocator triggers meets a payload still alive and copies it (3–4 ms here with the startup heap, about 1 ms
    /// after). The client's receive loop keeps the last packet referenced until the next one arrives, so a collection
    /// is due once one more message has followed a snapshot (an acknowledgement, typically within tens of ms) and
    /// <see cref="CollectEveryBytes"/> have been allocated since the last collection: the snapshot is then dead and
    /// the collection only sweeps.
    /// </summary>
    public bool CollectionDue()
    {
        var snapshot = Volatile.Read(ref _messages.LastSnapshot);
        if (snapshot == _collectedForSnapshot || Volatile.Read(ref _messages.Received) <= snapshot) return false;
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

    /// <summary>Publishes the robot's status (retained JSON) on its status topic; false when not delivered.</summary>
    public bool PublishStatus(IReadOnlyDictionary<string, object?> fields)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(fields);
        return _link.Publish(MqttLink.Message(_topics.RobotStatus(_robotId), new ArraySegment<byte>(json), retain: true), out _);
    }

    /// <summary>Stops the sender after handing it what the loop recorded (see <see cref="TransitionPublisher.Stop"/>). Stop the loop first.</summary>
    public void StopSending(TimeSpan drain) => Publisher.Stop(drain);

    public void Dispose()
    {
        Publisher.Dispose();
        _link.Dispose();
    }
}
