namespace RoboDdpg.Tests.Shared;

/// <summary>The shared Pendulum-v1 reference trace (shared/ sits beside the repository).</summary>
internal static class ReferenceTrace
{
    public static string Path { get; } = RepositoryFile.Locate("shared/reference/pendulum-v1-trace.csv");
}
