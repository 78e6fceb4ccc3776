using RoboDdpg.Core.Random;

namespace RoboDdpg.Core.Exploration;

/// <summary>
/// Ornstein–Uhlenbeck process x ← x + θ(μ − x)·dt + σ·√dt·N(0, 1): temporally correlated noise that
/// drifts back to μ, as in the original DDPG paper. Stationary standard deviation is σ/√(2θ).
/// </summary>
public sealed class OrnsteinUhlenbeckNoise : IExplorationNoise
{
    private readonly Xoshiro256 _rng;
    private readonly double[] _x;

    public OrnsteinUhlenbeckNoise(int size, double sigma, Xoshiro256 rng, double theta = 0.15, double dt = 1e-2, double mu = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(theta);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dt);
        Size = size;
        Sigma = sigma;
        Theta = theta;
        Dt = dt;
        Mu = mu;
        _rng = rng ?? throw new ArgumentNullException(nameof(rng));
        _x = new double[size];
        Reset();
    }

    public int Size { get; }
    public double Sigma { get; }
    public double Theta { get; }
    public double Dt { get; }
    public double Mu { get; }

    public void Sample(Span<float> noise)
    {
        if (noise.Length != Size) throw new ArgumentException($"noise needs {Size} entries", nameof(noise));
        var diffusion = Sigma * Math.Sqrt(Dt);
        for (var i = 0; i < noise.Length; i++)
        {
            _x[i] += Theta * (Mu - _x[i]) * Dt + diffusion * _rng.NextGaussian();
            noise[i] = (float)_x[i];
        }
    }

    public void Reset() => Array.Fill(_x, Mu);

    public double[] GetState() => (double[])_x.Clone();

    public void SetState(ReadOnlySpan<double> state)
    {
        if (state.Length != Size) throw new ArgumentException($"OU noise state has {Size} entries", nameof(state));
        state.CopyTo(_x);
    }
}
