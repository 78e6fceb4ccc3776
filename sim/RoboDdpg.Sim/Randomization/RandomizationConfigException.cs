namespace RoboDdpg.Sim.Randomization;

/// <summary>
/// A randomization config that cannot be used: missing file, bad JSON, unknown parameter, bad range, or a range
/// whose samples would be invalid plant parameters. The message is one line, "file: problem".
/// </summary>
public sealed class RandomizationConfigException : Exception
{
    public RandomizationConfigException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file path (or the label passed to <see cref="RandomizationConfig.Parse"/>).</summary>
    public string FilePath { get; }

    public string Problem { get; }
}
