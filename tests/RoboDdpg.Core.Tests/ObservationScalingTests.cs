using RoboDdpg.Core.Policy;

namespace RoboDdpg.Core.Tests;

public sealed class ObservationScalingTests
{
    // 2 → 1 (tanh), bounds [−2, 2]: a = 2·tanh(0.5·x0 − x1 + 0.1) on the network's inputs.
    private static DenseLayer Layer() => new(2, 1, [0.5f, -1f], [0.1f]);

    private static readonly ObservationScaling Scaling = new([1f, -2f], [0.5f, 4f]);

    [Fact]
    public void The_policy_scales_raw_observations_before_the_first_layer()
    {
        var policy = new MlpPolicy([Layer()], [-2f], [2f], Scaling);
        var action = new float[1];
        policy.Act([3f, -1.75f], action);
        // inputs: (3 − 1)·0.5 = 1, (−1.75 + 2)·4 = 1 → z = 0.5 − 1 + 0.1 = −0.4.
        Assert.Equal(2 * Math.Tanh(-0.4), action[0], 6);
    }

    [Fact]
    public void Scaling_survives_the_policy_file_and_clone()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "scaled.rdpolicy");
        PolicyFile.Save(path, new MlpPolicy([Layer()], [-2f], [2f], Scaling), new PolicyMetadata("x", ["a", "b"], ["u"], DateTimeOffset.UnixEpoch, 1));
        var (loaded, _) = PolicyFile.Load(path);
        Assert.Equal(Scaling.Offset, loaded.ObservationScaling!.Offset);
        Assert.Equal(Scaling.Scale, loaded.ObservationScaling.Scale);
        var expected = new float[1];
        var actual = new float[1];
        new MlpPolicy([Layer()], [-2f], [2f], Scaling).Act([0.3f, 0.2f], expected);
        loaded.Clone().Act([0.3f, 0.2f], actual);
        Assert.Equal(expected[0], actual[0]);
    }

    [Fact]
    public void From_bounds_maps_each_bounded_range_onto_minus_one_to_one_and_leaves_unbounded_entries()
    {
        var scaling = ObservationScaling.FromBounds([-8f, 0f, float.NegativeInfinity], [8f, 10f, float.PositiveInfinity]);
        Assert.Equal([0f, 5f, 0f], scaling.Offset);
        Assert.Equal([0.125f, 0.2f, 1f], scaling.Scale);
    }

    [Fact]
    public void Invalid_scalings_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ObservationScaling([0f], [0f]));
        Assert.Throws<ArgumentException>(() => new ObservationScaling([float.NaN], [1f]));
        Assert.Throws<ArgumentException>(() => new ObservationScaling([0f, 0f], [1f]));
        Assert.Throws<ArgumentException>(() => new MlpPolicy([Layer()], [-2f], [2f], new ObservationScaling([0f], [1f])));
    }

    [Fact]
    public void Acting_with_scaling_allocates_nothing()
    {
        var policy = new MlpPolicy([Layer()], [-2f], [2f], Scaling);
        var action = new float[1];
        float[] observation = [0.3f, 0.2f];
        policy.Act(observation, action);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) policy.Act(observation, action);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
