using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Randomization;

/// <summary>
/// The motor pendulum with per-episode domain randomization: every <see cref="IEnvironment.Reset"/> draws a
/// parameter set from <see cref="Config"/> and starts the episode on a fresh twin built with it.
/// </summary>
/// <remarks>
/// <para>Determinism: a reset with a seed reseeds the sampler from that seed, so the same sequence of reset seeds
/// gives the same parameter sets; the twin is then reset with the same seed, so an episode equals a plain
/// <see cref="MotorPendulumEnvironment"/> with <see cref="RandomizationSample.Parameters"/> reset with that seed.
/// A reset without a seed continues the sampler's stream and draws the twin's seed from it.</para>
/// <para>A fresh twin per episode (rather than mutable parameters) keeps the twin's invariants — latency queue
/// length, derived constants — fixed for its lifetime. Reset allocates; Step forwards to the twin and does not.</para>
/// <para>The spec is the twin's: randomizable parameters exclude everything the spec depends on.</para>
/// </remarks>
public sealed class RandomizedEnvironment : EnvironmentBase
{
    // Keeps the sampler's stream distinct from the twin's reset stream, which is seeded with the same seed.
    private const ulong SamplerSalt = 0xD1B54A32D192ED03;

    private readonly Xoshiro256 _sampler;
    private readonly string[] _names;
    private MotorPendulumEnvironment? _twin;
    private int _episodes;

    /// <param name="config">What to randomize; validated against <paramref name="baseParameters"/> here.</param>
    /// <param name="baseParameters">Values of everything not randomized, and the base of scales; null for defaults.</param>
    /// <param name="seed">Sampler seed for resets without a seed; null draws one from the system.</param>
    /// <exception cref="RandomizationConfigException">The config can produce invalid parameters from this base.</exception>
    public RandomizedEnvironment(RandomizationConfig config, MotorPendulumParameters? baseParameters = null, ulong? seed = null)
        : base(SpecFor(config, baseParameters ?? new MotorPendulumParameters()))
    {
        Config = config;
        BaseParameters = baseParameters ?? new MotorPendulumParameters();
        _names = config.Names.ToArray();
        _sampler = new Xoshiro256(seed ?? unchecked((ulong)System.Random.Shared.NextInt64(long.MinValue, long.MaxValue)));
    }

    public RandomizationConfig Config { get; }

    public MotorPendulumParameters BaseParameters { get; }

    /// <summary>The parameters of the current episode; null before the first reset.</summary>
    public RandomizationSample? CurrentSample { get; private set; }

    /// <summary>The current episode's twin (exact state, current, …); null before the first reset.</summary>
    public MotorPendulumEnvironment? Twin => _twin;

    /// <summary>Raised at every reset, after the new twin is reset, with the episode's sample (e.g. for a log).</summary>
    public event Action<RandomizationSample>? EpisodeSampled;

    protected override void OnReset(ulong? seed, Span<float> observation)
    {
        if (seed is { } s) _sampler.Reseed(s ^ SamplerSalt);
        var values = new double[_names.Length];
        var parameters = Config.Sample(_sampler, BaseParameters, values);
        var episodeSeed = seed ?? _sampler.NextUInt64();

        var twin = new MotorPendulumEnvironment(parameters, episodeSeed).Start();
        twin.Reset(episodeSeed, observation);
        _twin?.Dispose();
        _twin = twin;

        var sample = new RandomizationSample(_episodes++, episodeSeed, _names, values, parameters);
        CurrentSample = sample;
        EpisodeSampled?.Invoke(sample);
    }

    protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
    {
        var twin = _twin ?? throw new InvalidOperationException($"{Spec.Name}: Step needs a Reset first");
        return twin.Step(action, observation);
    }

    protected override void OnDeactivate() => _twin?.Deactivate();

    protected override void OnDispose() => _twin?.Dispose();

    private static EnvironmentSpec SpecFor(RandomizationConfig config, MotorPendulumParameters baseParameters)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(baseParameters);
        using var probe = new MotorPendulumEnvironment(baseParameters, seed: 0);
        return probe.Spec;
    }
}
