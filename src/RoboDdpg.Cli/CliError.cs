namespace RoboDdpg.Cli;

/// <summary>A problem with the user's input, reported as one line on stderr with exit code 2 and no stack trace.</summary>
public sealed class CliError(string message) : Exception(message);

public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran but its check failed (e.g. twin-check outside tolerance).</summary>
    public const int CheckFailed = 1;

    /// <summary>Bad input: arguments, files, configuration.</summary>
    public const int BadInput = 2;

    /// <summary>A robot's device stayed broken: the run stopped in the safe action after saving everything.</summary>
    public const int DeviceFault = 3;

    /// <summary>Interrupted by Ctrl+C after saving what was done.</summary>
    public const int Interrupted = 130;

    /// <summary>A bug or an environment failure we did not anticipate.</summary>
    public const int InternalError = 70;
}
