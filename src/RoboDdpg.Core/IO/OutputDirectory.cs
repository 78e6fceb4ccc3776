namespace RoboDdpg.Core.IO;

/// <summary>An output folder that cannot be used; one-line message.</summary>
public sealed class OutputDirectoryException(string message) : Exception(message);

/// <summary>The output folder of a run (training, control loop, evaluation), prepared before any work starts.</summary>
public static class OutputDirectory
{
    /// <summary>
    /// Creates the folder if needed and proves it writable, then deletes the temp files of atomic writes of
    /// <paramref name="fileNames"/> that were killed before their rename (the files they were meant to replace are intact).
    /// </summary>
    /// <returns>The full path of the folder.</returns>
    /// <exception cref="OutputDirectoryException">A file by that name exists, or the folder is not writable.</exception>
    public static string Prepare(string directory, IEnumerable<string> fileNames)
    {
        ArgumentNullException.ThrowIfNull(fileNames);
        var full = Path.GetFullPath(directory);
        try
        {
            if (File.Exists(full)) throw new OutputDirectoryException($"{directory}: is a file, not a folder");
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputDirectoryException($"{directory}: output folder is not writable ({e.Message.Split('\n')[0]})");
        }
        foreach (var name in fileNames)
        {
            foreach (var stale in Directory.EnumerateFiles(full, $".{name}.*.tmp"))
                File.Delete(stale);
        }
        return full;
    }
}
