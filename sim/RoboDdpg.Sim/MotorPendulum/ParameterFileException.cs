namespace RoboDdpg.Sim.MotorPendulum;

/// <summary>
/// A parameter file that cannot be used: missing, not JSON, an unknown field, or an invalid value.
/// The message is one line, "file: problem", so a command line can print it as is.
/// </summary>
public sealed class ParameterFileException : Exception
{
    public ParameterFileException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
