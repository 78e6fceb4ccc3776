using RoboDdpg.Core.Environments;
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
        var ddpg = new DdpgOptions { ReplayCapacity = 1_000_000 };
        // An update-to-data ratio the learner can never meet keeps it training flat out once a batch is recorded.
        var learnerOptions = new LearnerOptions { UpdatesPerTransition = 64, WarmupTransitions = ddpg.BatchSize, PublishEvery = 10, TorchThreads = 1 };
        using var agent = OnlineAgent.Create(environment, startingPolicy: null, learn: true, ddpg with { WarmupSteps = 0 }, learnerOptions,
            new SafetyOptions(), seed: 1);
        using var loop = new RealtimeLoop(agent.Control, options);
        loop.Start();
        agent.Learner!.Start();
        Thread.Sleep(duration);
        loop.Stop();
        var updatesPerSecond = agent.Learner.UpdatesPerSecond;
        agent.Learner.Stop();
        return (loop.Stats, updatesPerSecond, agent.Learner.Fault?.Message);
    }
}
