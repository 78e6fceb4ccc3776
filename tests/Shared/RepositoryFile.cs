namespace RoboDdpg.Tests.Shared;

/// <summary>
/// Finds a file by its path relative to some parent of the test binaries: the repository root (sim/…, build/…) or
/// the folder beside it that holds shared/ (here and in CI the clone sits next to shared/).
/// </summary>
internal static class RepositoryFile
{
    public static string Locate(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"no {relativePath} in any parent of {AppContext.BaseDirectory}");
    }
}
