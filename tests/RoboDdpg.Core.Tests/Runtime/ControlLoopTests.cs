using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Runtime;

public sealed class ControlLoopTests
{
    /// <summary>x′ = x + u, reward −x², 5-step time limit; the last written action is remembered.</summary>
    private sealed class Integrator() : EnvironmentBase(new EnvironmentSpec("integrator",
        new BoxSpec(["x"], [-100f], [100f]), new BoxSpec(["u"], [-1f], [1f]), [0f], 0.001, 5))
    {
        private float _x;
        private int _t;
        public int Resets;
        public float LastWritten = float.NaN;

        protected override void OnReset(ulong? seed, Span<float> observation)
        {
            Resets++;
            _x = 1f;
            _t = 0;
            observation[0] = _x;
        }

        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
        {
            LastWritten = action[0];
            var reward = -_x * _x;
            _x += action[0];
            observation[0] = _x;
            return new StepResult(reward, false, ++_t >= 5);
        }

        protected override void OnDeactivate() => LastWritten = 0f;
    }

    /// <summary>u = center + half·tanh(w·x + b) with bounds [−1, 1].</summary>
    private static MlpPolicy Linear(float w, float b) => new([new DenseLayer(1, 1, [w], [b])], [-1f], [1f]);

    private static (RealtimeLoop Loop, ControlLoop Control, Integrator Env, ReplayBuffer Replay, PolicySnapshotExchange Policies)
        Build(MlpPolicy initial, SafetyOptions? safety = null, long randomActions = 0, IExplorationNoise? noise = null)
    {
        var env = new Integrator().Start();
        var replay = new ReplayBuffer(100, 1, 1);
        var policies = new PolicySnapshotExchange(initial, () => Linear(0, 0));
        var control = new ControlLoop(env, policies, noise, new SafetyLayer(env.Spec, safety ?? new SafetyOptions()), replay,
            new ControlLoopOptions { Seed = 3, RandomActionTransitions = randomActions });
        var clock = new FakeClock();
        var loop = new RealtimeLoop(control, new RealtimeLoopOptions { RateHz = 1000, WarmupTicks = 2 }, clock, new FakeWaiter(clock));
        return (loop, control, env, replay, policies);
    }

    [Fact]
    public void Records_each_tick_and_resets_episodes_inside_the_loop()
    {
        var (loop, control, env, replay, _) = Build(Linear(0f, -0.5f)); // u = tanh(−0.5) ≈ −0.4621 always
        loop.RunTicks(12);

        Assert.Equal(12, replay.Count);
        Assert.Equal(3, env.Resets); // ticks 0, 5 and 10 start episodes
        Assert.Equal(2, control.Status.Episodes);
        var u = (float)Math.Tanh(-0.5);
        // First transition of an episode: x = 1 → 1 + u, reward −1.
        var first = replay.Get(0);
        Assert.Equal(1f, first.Observation[0]);
        Assert.Equal(u, first.Action[0], 6);
        Assert.Equal(-1f, first.Reward);
        Assert.Equal(1f + u, first.NextObservation[0], 6);
        // Episode return = −Σ_{t<5} (1 + t·u)².
        var expected = -Enumerable.Range(0, 5).Sum(t => Math.Pow(1 + t * u, 2));
        Assert.Equal(expected, control.Status.LastEpisodeReturn!.Value, 4);
        Assert.All(Enumerable.Range(0, 12).Select(replay.Get), t => Assert.False(t.Terminated)); // time limit only
        Assert.Equal(0f, env.LastWritten); // OnStop wrote the safe action
        Assert.Equal(LifecycleState.Inactive, env.State);
    }

    [Fact]
    public void Picks_up_a_published_snapshot_at_the_next_tick()
    {
        var (loop, control, env, _, policies) = Build(Linear(0f, 0f));
        var exchange = policies;
        var handler = new SteppingHandler(control);
        var clock = new FakeClock();
        using var stepping = new RealtimeLoop(handler, new RealtimeLoopOptions { RateHz = 1000, WarmupTicks = 0 }, clock, new FakeWaiter(clock));
        handler.BeforeTick = index =>
        {
            if (index == 3)
            {
                exchange.WriteBuffer.Layers[0].Bias[0] = 10f; // u = tanh(10) ≈ 1
                exchange.WriteBuffer.Repack();
                exchange.Publish();
            }
        };
        handler.AfterTick = index => handler.Actions.Add(env.LastWritten);
        stepping.RunTicks(5);
        Assert.Equal([0f, 0f, 0f], handler.Actions.Take(3));
        Assert.Equal((float)Math.Tanh(10), handler.Actions[3], 6);
        Assert.Equal(1, control.Status.PolicyVersion);
    }

    private sealed class SteppingHandler(ControlLoop inner) : IRealtimeTickHandler
    {
        public Action<long>? BeforeTick;
        public Action<long>? AfterTick;
        public List<float> Actions { get; } = [];
        public void OnStart() => inner.OnStart();
        public void OnStop() => inner.OnStop();

        public void OnTick(in TickInfo tick)
        {
            BeforeTick?.Invoke(tick.Index);
            inner.OnTick(tick);
            AfterTick?.Invoke(tick.Index);
        }
    }

    [Fact]
    public void Records_the_action_the_safety_layer_let_through()
    {
        // Policy wants +1 every tick, the rate limit allows 0.25 per tick from rest.
        var (loop, _, _, replay, _) = Build(Linear(0f, 10f), new SafetyOptions { MaxDeltaPerTick = [0.25f] });
        loop.RunTicks(4);
        Assert.Equal([0.25f, 0.5f, 0.75f, 1f], Enumerable.Range(0, 4).Select(i => replay.Get(i).Action[0]));
    }

    [Fact]
    public void Emergency_stop_writes_the_safe_action_and_halts_learning()
    {
        var (loop, control, env, replay, _) = Build(Linear(0f, 10f));
        control.Safety.EngageEmergencyStop("test");
        loop.RunTicks(3);
        Assert.All(Enumerable.Range(0, 3).Select(replay.Get), t => Assert.Equal(0f, t.Action[0]));
        Assert.True(control.Safety.LearningHalted);
        Assert.Equal(3, control.Safety.Counters.EmergencyStop);
    }

    [Fact]
    public void Warm_up_uses_uniform_random_actions_then_the_policy()
    {
        var (loop, _, _, replay, _) = Build(Linear(0f, 0f), randomActions: 6);
        loop.RunTicks(8);
        var actions = Enumerable.Range(0, 8).Select(i => replay.Get(i).Action[0]).ToArray();
        Assert.All(actions.Take(6), a => Assert.InRange(a, -1f, 1f));
        Assert.True(actions.Take(6).Distinct().Count() == 6, "random actions should differ");
        Assert.Equal([0f, 0f], actions.Skip(6));
    }

    [Fact]
    public void Tick_path_allocates_nothing_after_warm_up()
    {
        var (loop, _, _, _, _) = Build(Linear(0.3f, 0.1f), noise: new GaussianNoise(1, 0.1, new Xoshiro256(1)));
        loop.RunTicks(500);
        Assert.Equal(0, loop.Stats.AllocatedBytes);
    }

    [Fact]
    public void A_failing_environment_stops_the_loop_with_the_safe_action_written()
    {
        var env = new ThrowingEnvironment().Start();
        var policies = new PolicySnapshotExchange(Linear(0f, 10f), () => Linear(0, 0));
        var control = new ControlLoop(env, policies, null, new SafetyLayer(env.Spec, new SafetyOptions()), null, new ControlLoopOptions());
        var clock = new FakeClock();
        using var loop = new RealtimeLoop(control, new RealtimeLoopOptions { RateHz = 100 }, clock, new FakeWaiter(clock));
        Assert.ThrowsAny<Exception>(() => loop.RunTicks(10));
        Assert.Equal(LifecycleState.Inactive, env.State);
        Assert.True(env.SafeWritten);
    }

    private sealed class ThrowingEnvironment() : EnvironmentBase(new EnvironmentSpec("throws",
        new BoxSpec(["x"], [-1f], [1f]), new BoxSpec(["u"], [-1f], [1f]), [0f], 0.01, null))
    {
        private int _steps;
        public bool SafeWritten;
        protected override void OnReset(ulong? seed, Span<float> observation) => observation[0] = 0;

        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation) =>
            ++_steps == 3 ? throw new IOException("bus error") : default;

        protected override void OnDeactivate() => SafeWritten = true;
    }
}
