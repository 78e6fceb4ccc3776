using TorchSharp;
using static TorchSharp.torch;

namespace RoboDdpg.Learning;

/// <summary>
/// Target-network update by Polyak averaging: φ_targ ← ρ·φ_targ + (1 − ρ)·φ, for every parameter.
/// ρ close to 1 makes the target trail the online network slowly (ρ = 1 − τ in the τ convention).
/// </summary>
public static class PolyakAverager
{
    public static void Update(nn.Module target, nn.Module source, double rho)
    {
        if (rho is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(rho), rho, "rho must be in [0, 1]");
        using var rhoScalar = rho.ToScalar();
        using var weight = (1 - rho).ToScalar();
        Update(target.parameters().ToArray(), source.parameters().ToArray(), rhoScalar, weight);
    }

    /// <summary>
    /// The allocation-lean form for the learner's hot path: cached parameter arrays and Scalars made once
    /// (implicit double→Scalar conversions leave finalizable objects that lengthen garbage collections).
    /// </summary>
    public static void Update(TorchSharp.Modules.Parameter[] target, TorchSharp.Modules.Parameter[] source, Scalar rho, Scalar oneMinusRho)
    {
        if (target.Length != source.Length)
            throw new ArgumentException("target and source networks have different parameter counts");
        using var noGrad = no_grad();
        for (var i = 0; i < target.Length; i++)
            target[i].mul_(rho).add_(source[i], oneMinusRho);
    }

    /// <summary>Copies every parameter of <paramref name="source"/> into <paramref name="target"/> (ρ = 0).</summary>
    public static void HardCopy(nn.Module target, nn.Module source) => Update(target, source, 0);
}
