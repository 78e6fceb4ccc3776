using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;
using RoboDdpg.Learning;
using RoboDdpg.Learning.Online;
using RoboDdpg.Sim;

namespace RoboDdpg.Cli.Bench;

/// <summary>The real-time part of <c>roboddpg bench</c>: the platform floor and the loop with a learner training beside it.</summary>
internal static class LoopBenchmarks
{
    public const double RateHz = 1000;

    /// <summary>The same pacing code with an empty handler: what the machine gives.</summary>
    public static RealtimeLoopStats Floor(RealtimeLoopOptions options, TimeSpan duration) => RealtimeLoopBenchmark.MeasureFloor(options, duration);

    /// <summary>
    /// 1 kHz control loop over the pendulum twin (256×256 actor snapshot, noise, safety, recording) while the learner
    /// trains at full speed on the other core (batch 256, 256×256, one TorchSharp thread).
    /// </summary>
    public static (RealtimeLoopStats Loop, double LearnerUpdatesPerSecond, string? LearnerFault) LoopWithLearner(RealtimeLoopOptions options, TimeSpan duration)
    {
        using var environment = EnvironmentRegistry.Create("pendulum").Start();
        var spec = environment.Spec;
        var ddpg = new DdpgOptions { ReplayCapacity = 1_000_000 };
        using var learner = DdpgLearner.For(spec, ddpg);
        var replay = new ReplayBuffer(ddpg.ReplayCapacity, spec.ObservationSize, spec.ActionSize);
        var initial = learner.ExportPolicy();
        var exchange = new PolicySnapshotExchange(initial, initial.Clone);
        var control = new ControlLoop(environment, exchange, new GaussianNoise(spec.ActionSize, 0.1, new Xoshiro256(1)),
            new SafetyLayer(spec, new SafetyOptions()), replay, new ControlLoopOptions { Seed = 1 });
        // An update-to-data ratio the learner can never meet keeps it training flat out once a batch is recorded.
        using var learnerThread = new LearnerThread(learner, replay, exchange,
            new LearnerOptions { UpdatesPerTransition = 64, WarmupTransitions = ddpg.BatchSize, PublishEvery = 10, TorchThreads = 1 }, seed: 2);
        using var loop = new RealtimeLoop(control, options);
        loop.Start();
        learnerThread.Start();
        Thread.Sleep(duration);
        loop.Stop();
        var updatesPerSecond = learnerThread.UpdatesPerSecond;
        learnerThread.Stop();
        return (loop.Stats, updatesPerSecond, learnerThread.Fault?.Message);
    }
}
