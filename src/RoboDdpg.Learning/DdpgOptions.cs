namespace RoboDdpg.Learning;

public enum NoiseKind
{
    Gaussian,
    OrnsteinUhlenbeck,
}

/// <summary>
/// DDPG hyperparameters. Defaults follow the well-tested RL Zoo settings for small continuous-control
/// tasks (γ = 0.98, learning rates 1e-3, Gaussian noise 0.1 of the action half-range), with the
/// 256×256 networks and batch 256 used throughout this project.
/// </summary>
public sealed record DdpgOptions
{
    /// <summary>Hidden layer widths of both actor and critic.</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [256, 256];

    /// <summary>Discount factor γ of the critic target r + γ(1 − d)·Q_targ(s′, μ_targ(s′)).</summary>
    public double Gamma { get; init; } = 0.98;

    /// <summary>Polyak coefficient ρ of φ_targ ← ρ·φ_targ + (1 − ρ)·φ (τ = 1 − ρ = 0.005).</summary>
    public double Rho { get; init; } = 0.995;

    public double ActorLearningRate { get; init; } = 1e-3;
    public double CriticLearningRate { get; init; } = 1e-3;
    public int BatchSize { get; init; } = 256;
    public int ReplayCapacity { get; init; } = 1_000_000;

    /// <summary>Environment steps taken with uniform random actions before the policy acts.</summary>
    public int WarmupSteps { get; init; } = 1_000;

    /// <summary>Gradient updates per environment step once learning has started (update-to-data ratio).</summary>
    public double UpdatesPerStep { get; init; } = 1.0;

    public NoiseKind Noise { get; init; } = NoiseKind.Gaussian;

    /// <summary>Noise standard deviation as a fraction of each action's half-range.</summary>
    public double NoiseSigma { get; init; } = 0.1;

    /// <summary>Mean-reversion rate θ of Ornstein–Uhlenbeck noise.</summary>
    public double OuTheta { get; init; } = 0.15;

    /// <summary>Time step of the Ornstein–Uhlenbeck process.</summary>
    public double OuDt { get; init; } = 1e-2;

    /// <summary>TorchSharp intra-op threads for the learner.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (HiddenSizes.Count == 0 || HiddenSizes.Any(h => h < 1)) Fail("hidden sizes must be positive", nameof(HiddenSizes));
        if (Gamma is < 0 or > 1) Fail("gamma must be in [0, 1]", nameof(Gamma));
        if (Rho is < 0 or > 1) Fail("rho must be in [0, 1]", nameof(Rho));
        if (!(ActorLearningRate > 0)) Fail("actor learning rate must be positive", nameof(ActorLearningRate));
        if (!(CriticLearningRate > 0)) Fail("critic learning rate must be positive", nameof(CriticLearningRate));
        if (BatchSize < 1) Fail("batch size must be positive", nameof(BatchSize));
        if (ReplayCapacity < BatchSize) Fail("replay capacity must be at least the batch size", nameof(ReplayCapacity));
        if (WarmupSteps < 0) Fail("warm-up steps must not be negative", nameof(WarmupSteps));
        if (!(UpdatesPerStep >= 0)) Fail("updates per step must not be negative", nameof(UpdatesPerStep));
        if (!(NoiseSigma >= 0)) Fail("noise sigma must not be negative", nameof(NoiseSigma));
        if (!(OuTheta > 0)) Fail("OU theta must be positive", nameof(OuTheta));
        if (!(OuDt > 0)) Fail("OU dt must be positive", nameof(OuDt));
        if (Threads < 1) Fail("threads must be at least 1", nameof(Threads));
    }

    private static void Fail(string message, string name) => throw new ArgumentException(message, name);
}
