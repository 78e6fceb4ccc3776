using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Sim;

/// <summary>Maps the names used on the command line and in configs to simulator twins.</summary>
public static class EnvironmentRegistry
{
    private static readonly Dictionary<string, Func<IEnvironment>> Factories = new(StringComparer.Ordinal)
    {
        [PendulumEnvironment.Name] = () => new PendulumEnvironment(),
        [MotorPendulumEnvironment.Name] = () => new MotorPendulumEnvironment(),
    };

    private static readonly string[] SortedNames = [.. Factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Known names, sorted.</summary>
    public static IReadOnlyList<string> Names => SortedNames;

    /// <summary>Creates a fresh, unconfigured environment.</summary>
    /// <exception cref="UnknownEnvironmentException">No environment has that name.</exception>
    public static IEnvironment Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Factories.TryGetValue(name, out var factory)
            ? factory()
            : throw new UnknownEnvironmentException(name, SortedNames);
    }
}
