using RoboDdpg.Core.Random;

namespace RoboDdpg.Core.Exploration;

/// <summary>Independent zero-mean Gaussian noise with standard deviation <see cref="Sigma"/>.</summary>
public sealed class GaussianNoise : IExplorationNoise
{
    private readonly Xoshiro256 _rng;

    public GaussianNoise(int size, double sigma, Xoshiro256 rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        Size = size;
        Sigma = sigma;
        _rng = rng ?? throw new ArgumentNullException(nameof(rng));
    }

    public int Size { get; }
    public double Sigma { get; }

    public void Sample(Span<float> noise)
    {
        if (noise.Length != Size) throw new ArgumentException($"noise needs {Size} entries", nameof(noise));
        for (var i = 0; i < noise.Length; i++)
            noise[i] = (float)(Sigma * _rng.NextGaussian());
    }

    public void Reset() { }

    public double[] GetState() => [];

    public void SetState(ReadOnlySpan<double> state)
    {
        if (state.Length != 0) throw new ArgumentException("Gaussian noise has no state", nameof(state));
    }
}
