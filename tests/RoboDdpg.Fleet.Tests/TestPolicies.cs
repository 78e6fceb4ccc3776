using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;

namespace RoboDdpg.Fleet.Tests;

internal static class TestPolicies
{
    /// <summary>A policy with seeded random weights for the spec (hidden layers as given).</summary>
    public static MlpPolicy Random(EnvironmentSpec spec, ulong seed, params int[] hidden)
    {
        var rng = new Xoshiro256(seed);
        var sizes = new[] { spec.ObservationSize }.Concat(hidden).Append(spec.ActionSize).ToArray();
        var layers = new DenseLayer[sizes.Length - 1];
        for (var i = 0; i < layers.Length; i++)
        {
            var w = new float[sizes[i] * sizes[i + 1]];
            var b = new float[sizes[i + 1]];
            for (var k = 0; k < w.Length; k++) w[k] = (float)(rng.NextGaussian() * 0.3);
            for (var k = 0; k < b.Length; k++) b[k] = (float)(rng.NextGaussian() * 0.1);
            layers[i] = new DenseLayer(sizes[i], sizes[i + 1], w, b);
        }
        return new MlpPolicy(layers, spec.Action.Low, spec.Action.High);
    }

    public static float[] Act(MlpPolicy policy, params float[] observation)
    {
        var action = new float[policy.ActionSize];
        policy.Act(observation, action);
        return action;
    }

    public static PolicySnapshotInfo Info(ulong version, string environment = "pendulum", ulong learner = 7, ulong updates = 100) =>
        new(learner, version, updates, 1000, 1_700_000_000_000, environment);
}
