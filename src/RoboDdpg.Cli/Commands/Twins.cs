using RoboDdpg.Core.Environments;
using RoboDdpg.Sim;

namespace RoboDdpg.Cli.Commands;

internal static class Twins
{
    /// <summary>Creates a twin; a twin that refuses the settings (e.g. the exact Pendulum-v1 with a parameter file) is a one-line user error.</summary>
    public static IEnvironment Create(string name, TwinSettings settings)
    {
        try
        {
            return EnvironmentRegistry.Create(name, settings);
        }
        catch (ArgumentException e) when (e is not UnknownEnvironmentException)
        {
            throw new CliError(e.Message.Split(" (Parameter")[0]);
        }
    }
}
