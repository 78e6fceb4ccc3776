namespace RoboDdpg.Hardware.Description;

/// <summary>A robot description file that cannot be used: one line naming the file, the line and what is wrong.</summary>
public sealed class RobotDescriptionException(string file, int? line, string problem, Exception? inner = null)
    : Exception(line is { } l ? $"{file}:{l}: {problem}" : $"{file}: {problem}", inner)
{
    public string File { get; } = file;

    public int? Line { get; } = line;

    public string Problem { get; } = problem;
}
