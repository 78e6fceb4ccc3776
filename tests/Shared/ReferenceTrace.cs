namespace RoboDdpg.Tests.Shared;

/// <summary>
/// Finds the shared Pendulum-v1 reference trace: the repository clone sits next to a <c>shared/</c> folder,
/// so walk up from the test binaries and look for <c>shared/reference/pendulum-v1-trace.csv</c> in each parent.
/// </summary>
internal static class ReferenceTrace
{
    private const string RelativePath = "shared/reference/pendulum-v1-trace.csv";

    public static string Path { get; } = Locate();

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"no {RelativePath} in any parent of {AppContext.BaseDirectory}; the shared folder must sit beside the repository");
    }
}
