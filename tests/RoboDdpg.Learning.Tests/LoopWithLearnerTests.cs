using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;
using RoboDdpg.Learning.Online;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Learning.Tests;

public sealed class LoopWithLearnerTests
{
    /// <summary>The pendulum, except that after <paramref name="poisonAfter"/> steps every reward is NaN (a broken sensor).</summary>
    private sealed class PoisonedPendulum(int poisonAfter) : EnvironmentBase(new PendulumEnvironment().Spec)
    {
        private readonly PendulumEnvironment _inner = new PendulumEnvironment(seed: 5).Start();
        private int _steps;
        protected override void OnReset(ulong? seed, Span<float> observation) => _inner.Reset(seed, observation);

        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
        {
            var result = _inner.Step(action, observation);
            return ++_steps > poisonAfter ? result with { Reward = double.NaN } : result;
        }
    }

    [Fact]
    public void A_diverging_learner_stops_learning_while_the_loop_keeps_acting_on_the_last_good_policy()
    {
        using var environment = new PoisonedPendulum(poisonAfter: 400).Start();
        var spec = environment.Spec;
        using var learner = DdpgLearner.For(spec, new DdpgOptions { HiddenSizes = [32, 32], BatchSize = 32, ReplayCapacity = 10_000 });
        var replay = new ReplayBuffer(10_000, spec.ObservationSize, spec.ActionSize);
        var initial = learner.ExportPolicy();
        var exchange = new PolicySnapshotExchange(initial, initial.Clone);
        var control = new ControlLoop(environment, exchange, new GaussianNoise(1, 0.1, new Xoshiro256(1)),
            new SafetyLayer(spec, new SafetyOptions()), replay, new ControlLoopOptions { Seed = 1 });
        using var learnerThread = new LearnerThread(learner, replay, exchange,
            new LearnerOptions { UpdatesPerTransition = 1, WarmupTransitions = 64, PublishEvery = 1 }, seed: 2);
        using var loop = new RealtimeLoop(control, new RealtimeLoopOptions { RateHz = 500, WarmupTicks = 100 });

        loop.Start();
        learnerThread.Start();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (learnerThread.State != LearnerState.Faulted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the learner never diverged");
            Thread.Sleep(10);
        }
        var versionAtFault = exchange.PublishedVersion;
        var ticksAtFault = control.Status.Ticks;
        // 100 more ticks take 0.2 s at 500 Hz; the generous wait only matters on a heavily loaded machine.
        var kept = SpinWait.SpinUntil(() => control.Status.Ticks > ticksAtFault + 100, TimeSpan.FromSeconds(10));

        Assert.True(loop.IsRunning);
        Assert.Null(loop.Fault);
        Assert.True(kept, "the loop stopped ticking after the learner failed");
        Assert.Equal(versionAtFault, exchange.PublishedVersion); // nothing from the diverged learner was published
        Assert.IsType<LearnerDivergedException>(learnerThread.Fault);
        loop.Stop();
        learnerThread.Stop();

        // The policy in use is the last good one: its actions are finite.
        var policy = exchange.Acquire(out _);
        var action = new float[1];
        policy.Act([1f, 0f, 0f], action);
        Assert.True(float.IsFinite(action[0]));
        Assert.Equal(0, loop.Stats.AllocatedBytes);
    }
}
