using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.CartPole;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Pendulum;
using RoboDdpg.Sim.Randomization;

namespace RoboDdpg.Sim;

/// <summary>The text of a twin configuration file and where it came from (named in error messages).</summary>
public sealed record TwinFile(string Path, string Json)
{
    /// <summary>Reads a configuration file; a missing or unreadable one is a one-line <see cref="TwinFileException"/>.</summary>
    public static TwinFile Read(string path) =>
        new(path, ConfigFileException.ReadText(path, (problem, e) => new TwinFileException(path, problem, e)));
}

/// <summary>A twin configuration file that could not be read.</summary>
public sealed class TwinFileException(string path, string problem, Exception? inner = null) : ConfigFileException(path, problem, inner);

/// <summary>
/// How to build a twin beyond its name: physical parameters and per-episode randomization ranges. The files' texts are
/// kept (not just their paths) so that a checkpoint holds them and a resumed run trains on the same plants.
/// </summary>
public sealed record TwinSettings(TwinFile? Parameters = null, TwinFile? Randomization = null);

/// <summary>Maps the names used on the command line and in configs to simulator twins.</summary>
public static class EnvironmentRegistry
{
    private static readonly Dictionary<string, Func<TwinSettings, IEnvironment>> Factories = new(StringComparer.Ordinal)
    {
        [PendulumEnvironment.Name] = settings => settings.Parameters is null && settings.Randomization is null
            ? new PendulumEnvironment()
            : throw new ArgumentException("pendulum is Gymnasium's Pendulum-v1 exactly: it takes no parameter or randomization file"),
        [MotorPendulumEnvironment.Name] = CreateMotorPendulum,
        [BeltCartPoleEnvironment.Name] = CreateBeltCartPole,
    };

    private static readonly string[] SortedNames = [.. Factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Known names, sorted.</summary>
    public static IReadOnlyList<string> Names => SortedNames;

    /// <summary>Creates a fresh, unconfigured environment with its default parameters.</summary>
    /// <exception cref="UnknownEnvironmentException">No environment has that name.</exception>
    public static IEnvironment Create(string name) => Create(name, new TwinSettings());

    /// <summary>Creates a fresh, unconfigured environment with the given parameters and randomization.</summary>
    /// <exception cref="UnknownEnvironmentException">No environment has that name.</exception>
    /// <exception cref="ConfigFileException">A parameter or randomization text is invalid.</exception>
    /// <exception cref="ArgumentException">The twin takes no such settings.</exception>
    public static IEnvironment Create(string name, TwinSettings settings)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(settings);
        return Factories.TryGetValue(name, out var factory)
            ? factory(settings)
            : throw new UnknownEnvironmentException(name, SortedNames);
    }

    private static IEnvironment CreateMotorPendulum(TwinSettings settings)
    {
        var parameters = settings.Parameters is { } file ? MotorPendulumParameters.Parse(file.Json, file.Path) : new MotorPendulumParameters();
        return settings.Randomization is { } ranges
            ? new RandomizedEnvironment(RandomizationConfig.Parse(ranges.Json, ranges.Path, parameters), parameters)
            : new MotorPendulumEnvironment(parameters);
    }

    private static IEnvironment CreateBeltCartPole(TwinSettings settings)
    {
        if (settings.Randomization is not null)
            throw new ArgumentException($"{BeltCartPoleEnvironment.Name} takes a parameter file but no randomization file (randomization covers the motor pendulum only)");
        return new BeltCartPoleEnvironment(settings.Parameters is { } file ? CartPoleParameters.Parse(file.Json, file.Path) : null);
    }
}
