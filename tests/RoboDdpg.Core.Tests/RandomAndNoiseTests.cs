using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Random;

namespace RoboDdpg.Core.Tests;

public sealed class RandomAndNoiseTests
{
    [Fact]
    public void Same_seed_gives_same_stream_and_state_round_trips()
    {
        var a = new Xoshiro256(42);
        var b = new Xoshiro256(42);
        for (var i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());

        var saved = a.GetState();
        var expected = Enumerable.Range(0, 10).Select(_ => a.NextDouble()).ToArray();
        var restored = Xoshiro256.FromState(saved);
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(_ => restored.NextDouble()).ToArray());
        Assert.NotEqual(new Xoshiro256(43).NextUInt64(), new Xoshiro256(42).NextUInt64());
    }

    [Fact]
    public void NextInt_stays_in_range()
    {
        var rng = new Xoshiro256(3);
        for (var i = 0; i < 10_000; i++) Assert.InRange(rng.NextInt(7), 0, 6);
    }

    [Fact]
    public void Gaussian_noise_has_zero_mean_and_the_requested_std()
    {
        const int n = 200_000;
        var noise = new GaussianNoise(size: 2, sigma: 0.3, new Xoshiro256(11));
        var sample = new float[2];
        double sum = 0, sumSq = 0;
        for (var i = 0; i < n; i++)
        {
            noise.Sample(sample);
            foreach (var v in sample) { sum += v; sumSq += v * v; }
        }
        var mean = sum / (2 * n);
        var std = Math.Sqrt(sumSq / (2 * n) - mean * mean);
        // Standard error of the mean is 0.3/√400000 ≈ 4.7e-4; of the std ≈ 3.4e-4.
        Assert.InRange(mean, -0.003, 0.003);
        Assert.InRange(std, 0.297, 0.303);
    }

    [Fact]
    public void Ou_noise_follows_the_recurrence_and_reaches_its_stationary_std()
    {
        // One step by hand: x1 = x0 + θ(μ − x0)dt + σ√dt·z with x0 = μ = 0 gives x1 = σ√dt·z.
        var rngForNoise = new Xoshiro256(5);
        var rngForCheck = new Xoshiro256(5);
        var ou = new OrnsteinUhlenbeckNoise(1, sigma: 0.2, rngForNoise, theta: 0.15, dt: 0.01);
        var x = new float[1];
        ou.Sample(x);
        Assert.Equal(0.2 * Math.Sqrt(0.01) * rngForCheck.NextGaussian(), x[0], 6);

        // Stationary std σ/√(2θ) = 0.2/√0.3 ≈ 0.3651 (with dt = 0.01 the discrete process is within 0.4% of it).
        var long_ = new OrnsteinUhlenbeckNoise(1, 0.2, new Xoshiro256(9), 0.15, 0.01);
        double sumSq = 0;
        const int burnIn = 5_000, n = 2_000_000;
        for (var i = 0; i < burnIn + n; i++)
        {
            long_.Sample(x);
            if (i >= burnIn) sumSq += x[0] * x[0];
        }
        Assert.InRange(Math.Sqrt(sumSq / n), 0.35, 0.38);
    }

    [Fact]
    public void Ou_reset_returns_to_mu_and_state_round_trips()
    {
        var ou = new OrnsteinUhlenbeckNoise(2, 0.5, new Xoshiro256(1), mu: 0.25);
        var x = new float[2];
        for (var i = 0; i < 10; i++) ou.Sample(x);
        var state = ou.GetState();
        ou.Reset();
        Assert.Equal([0.25, 0.25], ou.GetState());
        ou.SetState(state);
        Assert.Equal(state, ou.GetState());
    }
}
