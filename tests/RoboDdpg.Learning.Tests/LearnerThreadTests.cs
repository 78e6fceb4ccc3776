using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Replay;
using RoboDdpg.Learning.Online;

namespace RoboDdpg.Learning.Tests;

public sealed class LearnerThreadTests
{
    private static DdpgLearner SmallLearner() =>
        new(3, [-2f], [2f], new DdpgOptions { HiddenSizes = [16, 16], BatchSize = 16, ReplayCapacity = 1000 });

    private static PolicySnapshotExchange Exchange(DdpgLearner learner) =>
        new(learner.ExportPolicy(), learner.ExportPolicy);

    private static void AddTransitions(ReplayBuffer replay, int count, float reward = -1f)
    {
        for (var i = 0; i < count; i++)
            replay.Add([0.1f * (i % 7), 0.5f, -0.2f], [0.3f], reward, [0.2f, 0.4f, 0.1f], false);
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Follows_the_update_to_data_ratio_and_publishes_every_k_updates()
    {
        using var learner = SmallLearner();
        var replay = new ReplayBuffer(1000, 3, 1);
        var exchange = Exchange(learner);
        using var thread = new LearnerThread(learner, replay, exchange,
            new LearnerOptions { UpdatesPerTransition = 0.5, WarmupTransitions = 20, PublishEvery = 4 }, seed: 1);
        thread.Start();
        AddTransitions(replay, 120);

        // (120 − 20 warm-up) · 0.5 = 50 updates, then it waits for more data.
        WaitFor(() => thread.Updates == 50, "50 updates");
        Thread.Sleep(100);
        Assert.Equal(50, thread.Updates);
        Assert.Equal(12, exchange.PublishedVersion); // 50 / 4
        Assert.Equal(LearnerState.Running, thread.State);

        // The published snapshot is the learner's actor at update 48.
        thread.Stop();
        Assert.Equal(LearnerState.Stopped, thread.State);
        var snapshot = exchange.Acquire(out var version);
        Assert.Equal(12, version);
        Assert.Equal(50, learner.Updates);
    }

    [Fact]
    public void A_diverging_learner_faults_and_the_last_good_snapshot_stays_in_use()
    {
        using var learner = SmallLearner();
        var replay = new ReplayBuffer(1000, 3, 1);
        var exchange = Exchange(learner);
        using var thread = new LearnerThread(learner, replay, exchange,
            new LearnerOptions { UpdatesPerTransition = 1, WarmupTransitions = 16, PublishEvery = 1 }, seed: 2);
        thread.Start();
        AddTransitions(replay, 40);
        // The update counter moves before the snapshot is published: wait for the publication itself.
        WaitFor(() => exchange.PublishedVersion == 24, "24 snapshots");
        var goodVersion = exchange.PublishedVersion;
        var good = exchange.Acquire(out _).Layers[0].Weights.ToArray();

        // Poisoned data: every later batch contains NaN rewards.
        AddTransitions(replay, 1000, float.NaN);
        WaitFor(() => thread.State == LearnerState.Faulted, "fault");
        var fault = Assert.IsType<LearnerDivergedException>(thread.Fault);
        Assert.StartsWith("learning diverged at update", fault.Message);

        // No snapshot of the diverged networks was published: the loop keeps the last good one.
        Assert.Equal(goodVersion, exchange.PublishedVersion);
        Assert.Equal(good, exchange.Acquire(out _).Layers[0].Weights);
        thread.Stop();
        Assert.Equal(LearnerState.Faulted, thread.State);
    }

    [Fact]
    public void Pause_stops_updates_and_resume_continues()
    {
        using var learner = SmallLearner();
        var replay = new ReplayBuffer(1000, 3, 1);
        using var thread = new LearnerThread(learner, replay, Exchange(learner),
            new LearnerOptions { UpdatesPerTransition = 1, WarmupTransitions = 16, PublishEvery = 10 }, seed: 3);
        thread.Start();
        thread.Pause();
        WaitFor(() => thread.State == LearnerState.Paused, "paused");
        AddTransitions(replay, 100);
        Thread.Sleep(150);
        Assert.Equal(0, thread.Updates);
        thread.Resume();
        WaitFor(() => thread.Updates == 84, "84 updates after resume");
    }
}
