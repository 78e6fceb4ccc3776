using RoboDdpg.Core.Environments;

namespace RoboDdpg.Core.Tests;

public sealed class EnvironmentContractTests
{
    private sealed class CountingEnvironment() : EnvironmentBase(new EnvironmentSpec("counter",
        new BoxSpec(["x"], [-10f], [10f]), new BoxSpec(["u"], [-1f], [1f]), [0f], 0.1, 3))
    {
        public int Deactivations;
        public float LastWritten = float.NaN;
        private int _t;

        protected override void OnReset(ulong? seed, Span<float> observation) { _t = 0; observation[0] = 0; }

        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
        {
            LastWritten = action[0];
            observation[0] = ++_t;
            return new StepResult(1, Terminated: false, Truncated: _t >= Spec.MaxEpisodeSteps);
        }

        protected override void OnDeactivate()
        {
            Deactivations++;
            LastWritten = Spec.SafeAction[0];
        }
    }

    [Fact]
    public void Lifecycle_runs_configure_activate_deactivate_in_order()
    {
        var env = new CountingEnvironment();
        var obs = new float[1];
        Assert.Equal(LifecycleState.Unconfigured, env.State);
        Assert.Throws<InvalidOperationException>(() => env.Reset(null, obs));
        Assert.Throws<InvalidOperationException>(() => env.Activate());

        env.Configure();
        Assert.Equal(LifecycleState.Inactive, env.State);
        env.Activate();
        env.Reset(1, obs);
        env.Step([0.5f], obs);
        Assert.Equal(0.5f, env.LastWritten);

        env.Deactivate();
        Assert.Equal(LifecycleState.Inactive, env.State);
        Assert.Equal(0f, env.LastWritten); // the safe action was written
        env.Deactivate(); // idempotent
        Assert.Equal(1, env.Deactivations);
        Assert.Throws<InvalidOperationException>(() => env.Step([0f], obs));
    }

    [Fact]
    public void Dispose_of_an_active_environment_writes_the_safe_action()
    {
        var env = new CountingEnvironment().Start();
        env.Dispose();
        Assert.Equal(1, env.Deactivations);
        Assert.Equal(LifecycleState.Disposed, env.State);
    }

    [Fact]
    public void Step_checks_span_lengths()
    {
        var env = new CountingEnvironment().Start();
        env.Reset(null, new float[1]);
        Assert.Throws<ArgumentException>(() => env.Step([0f, 0f], new float[1]));
        Assert.Throws<ArgumentException>(() => env.Step([0f], new float[2]));
    }

    [Fact]
    public void Truncation_and_termination_stay_apart()
    {
        var env = new CountingEnvironment().Start();
        var obs = new float[1];
        env.Reset(null, obs);
        StepResult last = default;
        for (var i = 0; i < 3; i++) last = env.Step([0f], obs);
        Assert.True(last.Truncated);
        Assert.False(last.Terminated);
        Assert.True(last.EpisodeEnded);
    }

    [Fact]
    public void Box_spec_validates_and_clamps()
    {
        Assert.Throws<ArgumentException>(() => new BoxSpec(["a"], [1f], [0f]));
        Assert.Throws<ArgumentException>(() => new BoxSpec(["a", "a"], [0f, 0f], [1f, 1f]));
        Assert.Throws<ArgumentException>(() => new BoxSpec(["a"], [0f, 0f], [1f]));
        var box = new BoxSpec(["a", "b"], [-1f, 0f], [1f, 5f]);
        Span<float> v = [3f, -2f];
        box.Clamp(v);
        Assert.Equal([1f, 0f], v.ToArray());
        Assert.True(box.Contains(v));
    }

    [Fact]
    public void Spec_requires_a_safe_action_of_the_action_size_and_finite_action_bounds()
    {
        Assert.Throws<ArgumentException>(() => new BadSafeAction());
    }

    private sealed class BadSafeAction() : EnvironmentBase(new EnvironmentSpec("bad",
        new BoxSpec(["x"], [-1f], [1f]), new BoxSpec(["u"], [-1f], [1f]), [0f, 0f], 0.1, null))
    {
        protected override void OnReset(ulong? seed, Span<float> observation) { }
        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation) => default;
    }
}
