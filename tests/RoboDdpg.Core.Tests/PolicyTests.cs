using RoboDdpg.Core.Policy;

namespace RoboDdpg.Core.Tests;

public sealed class PolicyTests
{
    // 2 → 2 (ReLU) → 1 (tanh), action bounds [-2, 2] (center 0, half-range 2).
    private static MlpPolicy HandPolicy() => new(
        [
            new DenseLayer(2, 2, [1f, 2f, -1f, 0.5f], [0.5f, 0f]),
            new DenseLayer(2, 1, [0.25f, -1f], [0.1f]),
        ],
        [-2f], [2f]);

    [Fact]
    public void Act_matches_a_hand_computed_forward_pass()
    {
        var policy = HandPolicy();
        var action = new float[1];
        policy.Act([1f, 1f], action);
        // h = relu([1+2+0.5, -1+0.5+0]) = [3.5, 0]; z = 0.25·3.5 + 0.1 = 0.975; a = 2·tanh(0.975).
        Assert.Equal(2 * Math.Tanh(0.975), action[0], 5);

        policy.Act([-1f, 2f], action);
        // h = relu([-1+4+0.5, 1+1]) = [3.5, 2]; z = 0.875 − 2 + 0.1 = −1.025.
        Assert.Equal(2 * Math.Tanh(-1.025), action[0], 5);
    }

    [Fact]
    public void Act_scales_to_asymmetric_bounds()
    {
        var policy = new MlpPolicy([new DenseLayer(1, 1, [0f], [0f])], [1f], [5f]);
        var action = new float[1];
        policy.Act([123f], action);
        Assert.Equal(3f, action[0]); // tanh(0) = 0 → the centre of [1, 5]
    }

    [Fact]
    public void Act_allocates_nothing()
    {
        var policy = HandPolicy();
        var action = new float[1];
        float[] observation = [0.3f, -0.7f];
        policy.Act(observation, action);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) policy.Act(observation, action);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Layers_must_chain()
    {
        Assert.Throws<ArgumentException>(() => new MlpPolicy(
            [new DenseLayer(2, 3, new float[6], new float[3]), new DenseLayer(2, 1, new float[2], new float[1])], [-1f], [1f]));
    }

    [Fact]
    public void Policy_file_round_trips_weights_bounds_and_metadata()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "p.rdpolicy");
        var metadata = new PolicyMetadata("pendulum", ["a", "b"], ["u"], DateTimeOffset.Parse("2026-11-28T00:00:00Z"), 1234);
        PolicyFile.Save(path, HandPolicy(), metadata);

        var (loaded, meta) = PolicyFile.Load(path);
        Assert.Equal("pendulum", meta.Environment);
        Assert.Equal(1234, meta.TrainingSteps);
        Assert.Equal(["a", "b"], meta.ObservationNames);
        var expected = new float[1];
        var actual = new float[1];
        HandPolicy().Act([0.2f, 0.9f], expected);
        loaded.Act([0.2f, 0.9f], actual);
        Assert.Equal(expected[0], actual[0]);
    }

    [Theory]
    [InlineData(30)]   // inside the metadata
    [InlineData(-40)]  // inside the weights
    public void Policy_file_with_a_flipped_byte_is_refused(int offset)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "p.rdpolicy");
        PolicyFile.Save(path, HandPolicy(), new PolicyMetadata("pendulum", ["a", "b"], ["u"], DateTimeOffset.UtcNow, 1));
        var bytes = File.ReadAllBytes(path);
        bytes[offset >= 0 ? offset : bytes.Length + offset] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<PolicyFormatException>(() => PolicyFile.Load(path));
        Assert.Equal($"{path}: checksum mismatch (file is corrupted or was modified)", e.Message);
    }

    [Fact]
    public void Missing_empty_and_foreign_policy_files_are_refused_with_one_line()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "none.rdpolicy");
        Assert.Equal($"{missing}: policy file not found", Assert.Throws<PolicyFormatException>(() => PolicyFile.Load(missing)).Message);

        var empty = Path.Combine(dir.Path, "empty.rdpolicy");
        File.WriteAllBytes(empty, []);
        Assert.Equal($"{empty}: not a RoboDdpg policy file", Assert.Throws<PolicyFormatException>(() => PolicyFile.Load(empty)).Message);

        var text = Path.Combine(dir.Path, "text.rdpolicy");
        File.WriteAllText(text, "this is not a policy but it is long enough to pass the size check easily");
        Assert.Equal($"{text}: not a RoboDdpg policy file", Assert.Throws<PolicyFormatException>(() => PolicyFile.Load(text)).Message);
    }
}
