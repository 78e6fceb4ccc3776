namespace RoboDdpg.Sim;

/// <summary>An environment name the registry does not know; the message lists the known names.</summary>
public sealed class UnknownEnvironmentException : ArgumentException
{
    public UnknownEnvironmentException(string name, IReadOnlyList<string> knownNames)
        : base($"unknown environment '{name}' (known: {string.Join(", ", knownNames)})")
    {
        Name = name;
        KnownNames = knownNames;
    }

    public string Name { get; }

    public IReadOnlyList<string> KnownNames { get; }
}
