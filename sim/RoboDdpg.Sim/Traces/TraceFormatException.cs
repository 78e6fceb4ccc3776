namespace RoboDdpg.Sim.Traces;

/// <summary>
/// A trace file that cannot be read or is malformed. The message is one line, compiler style:
/// <c>trace.csv:12: column 'action' is not a number ('abc')</c>, or <c>trace.csv: file is empty</c> without a line.
/// </summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string filePath, int? line, string reason, Exception? innerException = null)
        : base(Format(filePath, line, reason), innerException)
    {
        FilePath = filePath;
        Line = line;
        Reason = reason;
    }

    public string FilePath { get; }

    /// <summary>1-based line number, or null when the problem concerns the whole file.</summary>
    public int? Line { get; }

    public string Reason { get; }

    private static string Format(string filePath, int? line, string reason)
    {
        var text = line is { } l ? $"{filePath}:{l}: {reason}" : $"{filePath}: {reason}";
        // One line so the CLI can print it as is and scripts can grep it.
        return text.ReplaceLineEndings(" ");
    }
}
