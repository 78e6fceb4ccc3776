using System.Diagnostics;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Timing;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Fleet.Tests;

/// <summary>
/// A learner side (ingest into a replay buffer, policy publishing; no TorchSharp) and one pendulum robot acting at
/// 1 kHz for it, over a given broker.
/// </summary>
internal sealed class FleetHarness : IDisposable
{
    /// <summary>How long the outage tests keep the broker down (the fleet issue's acceptance figure).</summary>
    public static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new();
    private readonly IEnvironment _environment = new PendulumEnvironment().Start();
    private RealtimeLoop? _loop;

    public FleetHarness(BrokerOptions broker, string? fleet = null)
    {
        Broker = broker;
        Topics = new FleetTopics(fleet ?? Brokers.UniqueFleet());
        Replay = new ReplayBuffer(100_000, 3, 1);
        Ingestor = new TransitionIngestor(Topics, Replay);
        Learner = new FleetLearnerLink(broker, Topics, Key, Ingestor);
        Learner.Start();
        Assert.True(Learner.Link.WaitConnected(TimeSpan.FromSeconds(10)), $"learner link: {Learner.Link.LastError}");
        Assert.True(Learner.PublishPolicy(TestPolicies.Random(_environment.Spec, 1, 16, 16), TestPolicies.Info(1, learner: 42)));
    }

    public BrokerOptions Broker { get; }
    public FleetTopics Topics { get; }
    public FleetKey Key { get; } = FleetKey.Generate();
    public ReplayBuffer Replay { get; }
    public TransitionIngestor Ingestor { get; }
    public FleetLearnerLink Learner { get; }
    public FleetActor? Actor { get; private set; }
    public RealtimeLoop Loop => _loop!;
    public EnvironmentSpec Spec => _environment.Spec;

    public FleetActor StartActor(string robotId = "arm-1")
    {
        Actor = FleetActor.Connect(_environment, Broker, Key, new FleetActorOptions
        {
            RobotId = robotId,
            Fleet = Topics.Fleet,
            SpoolDirectory = Path.Combine(_dir.Path, "spool"),
            PolicyTimeout = TimeSpan.FromSeconds(20),
            WarmupTransitions = 0,
            Publisher = new TransitionPublisherOptions { FlushInterval = TimeSpan.FromMilliseconds(10), RetryInterval = TimeSpan.FromMilliseconds(100) },
        });
        _loop = new RealtimeLoop(Actor.Control, new RealtimeLoopOptions { RateHz = 1000, WarmupTicks = 200, ThreadName = "test-loop" });
        _loop.Start();
        Actor.StartSending();
        return Actor;
    }

    /// <summary>Stops the loop, lets the sender deliver everything, and waits for the learner to have it all.</summary>
    public ulong StopActorAndDrain()
    {
        _loop!.Stop();
        Actor!.StopSending(TimeSpan.FromSeconds(20));
        var sent = Actor.Sending.NextSequence;
        WaitUntil(() => (ulong)Ingestor.Accepted >= sent, TimeSpan.FromSeconds(20), "the learner to receive every transition");
        return sent;
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"waited {timeout.TotalSeconds} s for {what}");
            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        try { _loop?.Stop(); } catch (RealtimeLoopFaultException) { }
        _loop?.Dispose();
        Actor?.Dispose();
        Learner.Dispose();
        _environment.Dispose();
        _dir.Dispose();
    }
}
