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
        using var noGrad = no_grad();
        var targetParams = target.parameters().ToArray();
        var sourceParams = source.parameters().ToArray();
        if (targetParams.Length != sourceParams.Length)
            throw new ArgumentException("target and source networks have different parameter counts");
        for (var i = 0; i < targetParams.Length; i++)
            targetParams[i].mul_(rho).add_(sourceParams[i], alpha: 1 - rho);
    }

    /// <summary>Copies every parameter of <paramref name="source"/> into <paramref name="target"/> (ρ = 0).</summary>
    public static void HardCopy(nn.Module target, nn.Module source) => Update(target, source, 0);
}
