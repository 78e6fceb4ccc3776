using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Randomization;

/// <summary>The plant parameters drawn for one episode.</summary>
/// <param name="Episode">0-based count of resets of the randomized environment.</param>
/// <param name="Seed">The seed the episode's twin was reset with (the reset seed, or one drawn from the sampler).</param>
/// <param name="Names">Randomized parameter names, canonical order (the log columns).</param>
/// <param name="Values">Sampled values, same order (Ke is not listed: it follows torque_constant).</param>
/// <param name="Parameters">The complete parameter set the twin runs with.</param>
public sealed record RandomizationSample(
    int Episode,
    ulong Seed,
    IReadOnlyList<string> Names,
    IReadOnlyList<double> Values,
    MotorPendulumParameters Parameters)
{
    /// <summary>The sampled value of one randomized parameter.</summary>
    public double this[string name]
    {
        get
        {
            for (var k = 0; k < Names.Count; k++)
                if (Names[k] == name) return Values[k];
            throw new KeyNotFoundException($"'{name}' is not randomized");
        }
    }
}
