namespace RoboDdpg.Sim;

/// <summary>
/// A twin configuration file that cannot be used (parameters, randomization ranges). The message is one line,
/// "file: problem", so a command line prints it as is.
/// </summary>
public abstract class ConfigFileException(string path, string problem, Exception? inner) : Exception($"{path}: {problem}", inner)
{
    public string FilePath { get; } = path;

    public string Problem { get; } = problem;

    /// <summary>Reads a whole text file, turning a missing or unreadable file into <paramref name="fail"/>'s exception.</summary>
    internal static string ReadText(string path, Func<string, Exception, ConfigFileException> fail)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw fail("file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw fail($"cannot read: {e.Message.ReplaceLineEndings(" ").Trim()}", e);
        }
    }
}
