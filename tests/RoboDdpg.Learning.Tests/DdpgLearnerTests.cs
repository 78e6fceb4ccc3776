using RoboDdpg.Core.Random;
using RoboDdpg.Learning.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RoboDdpg.Learning.Tests;

public sealed class DdpgLearnerTests
{
    // One observation, one action in [-2, 2], two hidden units: small enough to compute by hand.
    private static DdpgLearner TinyLearner(double gamma = 0.98, double rho = 0.995, double actorLr = 1e-3) =>
        new(observationSize: 1, actionLow: [-2f], actionHigh: [2f],
            new DdpgOptions { HiddenSizes = [2], Gamma = gamma, Rho = rho, ActorLearningRate = actorLr, BatchSize = 3, ReplayCapacity = 10 });

    private static void Set(Linear layer, float[] weight, float[] bias)
    {
        using var noGrad = no_grad();
        layer.weight!.copy_(tensor(weight).reshape(layer.weight.shape));
        layer.bias!.copy_(tensor(bias));
    }

    /// <summary>Target actor μ(s) = 2·tanh(0.5·(relu(s) + relu(−s))) = 2·tanh(|s|/2).</summary>
    private static void SetAbsActor(ActorNetwork actor)
    {
        var layers = actor.Layers.ToArray();
        Set(layers[0], [1f, -1f], [0f, 0f]);
        Set(layers[1], [0.5f, 0.5f], [0f]);
    }

    /// <summary>Target critic Q(s, a) = relu(s) + relu(a) + 0.5.</summary>
    private static void SetSumCritic(CriticNetwork critic)
    {
        var layers = critic.Layers.ToArray();
        Set(layers[0], [1f, 0f, 0f, 1f], [0f, 0f]);
        Set(layers[1], [1f, 1f], [0.5f]);
    }

    [Fact]
    public void Critic_target_matches_hand_computation_and_bootstraps_through_truncation()
    {
        using var learner = TinyLearner(gamma: 0.98);
        SetAbsActor(learner.TargetActor);
        SetSumCritic(learner.TargetCritic);

        using var rewards = tensor(new[] { 1f, -0.5f, 0f }).reshape(3, 1);
        using var terminated = tensor(new[] { 0f, 1f, 0f }).reshape(3, 1);
        using var next = tensor(new[] { 1f, -2f, 0.5f }).reshape(3, 1);
        using var y = learner.CriticTarget(rewards, terminated, next);
        var values = y.data<float>().ToArray();

        // s′ = 1, not terminal (e.g. a time-limit cut): a′ = 2·tanh(0.5) = 0.924234, Q = 1 + 0.924234 + 0.5.
        Assert.Equal(1 + 0.98 * (1 + 2 * Math.Tanh(0.5) + 0.5), values[0], 5);
        // Terminal: no bootstrap, y = r.
        Assert.Equal(-0.5, values[1], 6);
        // s′ = 0.5: a′ = 2·tanh(0.25) = 0.489830, Q = 0.5 + 0.489830 + 0.5.
        Assert.Equal(0.98 * (0.5 + 2 * Math.Tanh(0.25) + 0.5), values[2], 5);
    }

    [Fact]
    public void Polyak_step_moves_targets_by_one_minus_rho_toward_the_online_network()
    {
        using var learner = TinyLearner(rho: 0.9);
        using (no_grad())
        {
            foreach (var p in learner.TargetCritic.parameters()) p.fill_(1f);
            foreach (var p in learner.Critic.parameters()) p.fill_(3f);
            foreach (var p in learner.TargetActor.parameters()) p.fill_(-1f);
            foreach (var p in learner.Actor.parameters()) p.fill_(1f);
        }
        learner.UpdateTargets();

        // φ_targ ← ρ·φ_targ + (1 − ρ)·φ = 0.9·1 + 0.1·3 = 1.2 ; θ_targ = 0.9·(−1) + 0.1·1 = −0.8.
        foreach (var p in learner.TargetCritic.parameters())
            Assert.All(p.data<float>().ToArray(), v => Assert.Equal(1.2f, v, 5));
        foreach (var p in learner.TargetActor.parameters())
            Assert.All(p.data<float>().ToArray(), v => Assert.Equal(-0.8f, v, 5));
        // The online networks are untouched.
        foreach (var p in learner.Critic.parameters())
            Assert.All(p.data<float>().ToArray(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void Actor_loss_gradient_points_toward_higher_q_and_only_the_actor_moves()
    {
        using var learner = TinyLearner(actorLr: 1e-2);
        // Online critic Q(s, a) = relu(s) + relu(a + 10)·1 … increasing in a for every action in [-2, 2].
        var critic = learner.Critic.Layers.ToArray();
        Set(critic[0], [1f, 0f, 0f, 1f], [0f, 10f]);
        Set(critic[1], [1f, 1f], [0f]);
        SetAbsActor(learner.Actor);
        var criticBefore = learner.Critic.parameters().Select(p => p.data<float>().ToArray()).ToArray();

        using var states = tensor(new[] { 0.3f, -1f, 2f }).reshape(3, 1);
        using (var loss = learner.ActorLoss(states))
        {
            learner.Actor.zero_grad();
            loss.backward();
        }
        // dLoss/d(out bias) = −mean(dQ/da · 2·(1 − tanh²(z))) < 0: descending it raises the action, i.e. ascends Q.
        var outBias = learner.Actor.Layers.Last().bias!;
        Assert.True(outBias.grad!.item<float>() < 0, $"gradient {outBias.grad!.item<float>()} should be negative");

        float[] before;
        using (no_grad()) using (var a = learner.Actor.forward(states)) before = a.data<float>().ToArray();
        learner.ActorStep(states);
        float[] after;
        using (no_grad()) using (var a = learner.Actor.forward(states)) after = a.data<float>().ToArray();
        for (var i = 0; i < 3; i++) Assert.True(after[i] > before[i], $"action {i}: {before[i]} → {after[i]} should increase");

        var criticAfter = learner.Critic.parameters().Select(p => p.data<float>().ToArray()).ToArray();
        for (var i = 0; i < criticBefore.Length; i++) Assert.Equal(criticBefore[i], criticAfter[i]);
    }

    [Fact]
    public void Critic_steps_reduce_the_bellman_error_on_a_fixed_batch()
    {
        using var learner = new DdpgLearner(1, [-2f], [2f], new DdpgOptions { HiddenSizes = [16, 16], BatchSize = 3, ReplayCapacity = 10 });
        using var s = tensor(new[] { 0.1f, 0.5f, -0.7f }).reshape(3, 1);
        using var a = tensor(new[] { 1f, -1f, 0.5f }).reshape(3, 1);
        using var r = tensor(new[] { -1f, -2f, -0.5f }).reshape(3, 1);
        using var d = tensor(new[] { 0f, 0f, 1f }).reshape(3, 1);
        var first = learner.CriticStep(s, a, r, d, s, out _);
        var last = first;
        for (var i = 0; i < 500; i++) last = learner.CriticStep(s, a, r, d, s, out _);
        // The targets are frozen (no UpdateTargets), so this is plain regression onto fixed values.
        Assert.True(last < first * 0.1, $"critic loss {first} → {last}");
    }

    [Fact]
    public void Managed_policy_matches_the_torch_actor_on_random_inputs()
    {
        using var learner = new DdpgLearner(17, Enumerable.Repeat(-1.5f, 6).ToArray(), Enumerable.Repeat(0.5f, 6).ToArray(), new DdpgOptions());
        var policy = learner.ExportPolicy();
        var rng = new Xoshiro256(3);
        var action = new float[6];
        for (var trial = 0; trial < 50; trial++)
        {
            var obs = Enumerable.Range(0, 17).Select(_ => (float)rng.NextUniform(-3, 3)).ToArray();
            policy.Act(obs, action);
            using var noGrad = no_grad();
            using var expected = learner.Actor.forward(tensor(obs).reshape(1, 17));
            var e = expected.data<float>().ToArray();
            for (var i = 0; i < 6; i++) Assert.Equal(e[i], action[i], 1e-5f);
        }
    }

    [Fact]
    public void Non_finite_losses_stop_learning_with_a_clear_error()
    {
        using var learner = TinyLearner();
        var batch = new Core.Replay.ReplayBatch(3, 1, 1);
        batch.Rewards[0] = float.NaN;
        var e = Assert.Throws<LearnerDivergedException>(() => learner.Update(batch));
        Assert.StartsWith("learning diverged at update 1", e.Message);
    }
}
