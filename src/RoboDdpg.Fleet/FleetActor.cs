using System.ComponentModel;
using System.Text.Json;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Fleet.Sidecar;

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

    /// <summary>With a sidecar: the largest policy snapshot message it can pass on (the shared mailbox; untouched pages cost nothing).</summary>
    public int MaxSnapshotBytes { get; init; } = 32 << 20;

    public TransitionPublisherOptions Publisher { get; init; } = new();
    public SafetyOptions Safety { get; init; } = new();
}

/// <summary>
/// A robot (or twin) acting for a remote learner: the control loop runs the newest verified policy snapshot with
/// exploration noise through the safety layer and records transitions into a ring, which the
/// <see cref="IRobotUplink"/> streams to the broker; policy snapshots are verified here before the loop sees them.
/// The MQTT client runs in a sidecar process when a <see cref="SidecarLauncher"/> is given (the ring then lives in
/// memory shared with it, and the loop process allocates nothing for messaging), else in this process.
/// If the broker or learner is unreachable the robot keeps acting on its last policy and spools transitions to disk.
/// Run <see cref="Control"/> on a <see cref="Core.Timing.RealtimeLoop"/> and call <see cref="StartSending"/>.
/// The environment comes from the caller (a twin or a hardware driver), started and active.
/// </summary>
public sealed class FleetActor : IDisposable
{
    private readonly ActorSharedMemory? _memory;

    private FleetActor(IRobotUplink uplink, ActorSharedMemory? memory, string robotId, PolicyReceiver policies, PolicySnapshotExchange snapshots,
        ControlLoop control, TransitionRing ring)
    {
        Uplink = uplink;
        _memory = memory;
        RobotId = robotId;
        Policies = policies;
        Snapshots = snapshots;
        Control = control;
        Ring = ring;
    }

    public PolicyReceiver Policies { get; }
    public PolicySnapshotExchange Snapshots { get; }
    public ControlLoop Control { get; }
    public TransitionRing Ring { get; }
    public IRobotUplink Uplink { get; }
    public string RobotId { get; }

    /// <summary>Delivery figures of the transition stream.</summary>
    public PublisherStatus Sending => Uplink.Sending;

    /// <summary>
    /// Starts the uplink (in a sidecar process when <paramref name="sidecar"/> is given, falling back to this process
    /// with a logged warning when it cannot be started), waits for the first verified policy snapshot (it fixes the
    /// network shape), and builds the loop. No policy within <see cref="FleetActorOptions.PolicyTimeout"/> is a
    /// one-line <see cref="FleetConfigException"/>.
    /// </summary>
    public static FleetActor Connect(IEnvironment environment, BrokerOptions broker, FleetKey key, FleetActorOptions options,
        Action<string>? log = null, CancellationToken cancellation = default, SidecarLauncher? sidecar = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        var robotId = FleetTopics.ValidateName(options.RobotId, "robot id");
        var topics = new FleetTopics(options.Fleet);
        var spec = environment.Spec;
        var settings = new UplinkSettings
        {
            RobotId = robotId, Topics = topics, SpoolDirectory = options.SpoolDirectory, SpoolMaxBytes = options.SpoolMaxBytes, Publisher = options.Publisher,
        };
        // Snapshots are checked against the robot's shapes and bounds, and must name the learner's environment.
        var policies = new PolicyReceiver(key, options.PolicyEnvironment is { } trainedOn ? spec with { Name = trainedOn } : spec, log);
        var (uplink, memory, ring) = sidecar is null ? Direct() : Sidecar(sidecar);
        try
        {
            var first = policies.WaitForFirst(options.PolicyTimeout, cancellation);
            if (first is null)
            {
                if (cancellation.IsCancellationRequested) throw new OperationCanceledException(cancellation);
                var status = policies.Status;
                var why = !uplink.IsConnected ? $"the broker {broker.Uri} is unreachable ({uplink.LastError ?? "no answer"})"
                    : status.Refused > 0 ? $"every snapshot was refused (last: {status.LastRefusal})"
                    : $"nothing was published on {topics.Policy}; is the learner running for fleet '{options.Fleet}'?";
                throw new FleetConfigException($"no policy snapshot within {options.PolicyTimeout.TotalSeconds:0.#} s: {why}");
            }
            var snapshots = policies.CreateExchange();
            var untrained = policies.Current!.Updates == 0;
            var noise = new GaussianNoise(spec.ActionSize, options.NoiseSigma, new Xoshiro256(options.Seed ^ 0x5eed));
            var control = new ControlLoop(environment, snapshots, noise, new SafetyLayer(spec, options.Safety), ring,
                new ControlLoopOptions { Seed = options.Seed, RandomActionTransitions = untrained ? options.WarmupTransitions : 0, SettleTicks = options.SettleTicks });
            return new FleetActor(uplink, memory, robotId, policies, snapshots, control, ring);
        }
        catch
        {
            uplink.Dispose();
            memory?.Dispose();
            throw;
        }

        (IRobotUplink, ActorSharedMemory?, TransitionRing) Direct()
        {
            var ring = new TransitionRing(options.RingCapacity, spec.ObservationSize, spec.ActionSize);
            var uplink = new DirectUplink(broker, settings, ring, (in System.Buffers.ReadOnlySequence<byte> message) => policies.Handle(message), log);
            uplink.Start();
            return (uplink, null, ring);
        }

        (IRobotUplink, ActorSharedMemory?, TransitionRing) Sidecar(SidecarLauncher launcher)
        {
            var memory = ActorSharedMemory.Create(options.RingCapacity, spec.ObservationSize, spec.ActionSize, options.MaxSnapshotBytes);
            var uplink = new SidecarUplink(memory, launcher, broker, settings, message => policies.Handle(message), log);
            try
            {
                uplink.Start();
                return (uplink, memory, memory.Ring);
            }
            catch (Exception e) when (e is Win32Exception or IOException)
            {
                uplink.Dispose();
                memory.Dispose();
                log?.Invoke($"cannot start the MQTT sidecar ({launcher.FileName}: {e.Message.Split('\n')[0]}); the MQTT client runs in the loop's process instead, whose collections then pause the loop");
                return Direct();
            }
        }
    }

    public void StartSending() => Uplink.StartSending();

    /// <summary>
    /// Whether a gen-0 collection is due now; call it from a supervising thread every few tens of ms and, when true,
    /// have the loop run it in its slack (<see cref="Core.Timing.RealtimeLoop.RequestCollection"/>). Only an uplink
    /// in this process brings collections (see <see cref="DirectUplink.CollectionDue"/>).
    /// </summary>
    public bool CollectionDue() => Uplink.CollectionDue();

    /// <summary>Publishes the robot's status (retained JSON) on its status topic; false when not delivered.</summary>
    public bool PublishStatus(IReadOnlyDictionary<string, object?> fields) => Uplink.PublishStatus(JsonSerializer.SerializeToUtf8Bytes(fields));

    /// <summary>Stops the sender after handing it what the loop recorded (see <see cref="IRobotUplink.StopSending"/>). Stop the loop first.</summary>
    public void StopSending(TimeSpan drain) => Uplink.StopSending(drain);

    /// <summary>Stops the uplink; with a sidecar, then unmaps the shared ring. Stop the loop first.</summary>
    public void Dispose()
    {
        Uplink.Dispose();
        _memory?.Dispose();
    }
}
