namespace RoboDdpg.Core.Timing;

/// <summary>A thread could not be given the requested scheduling class or CPU affinity. The message is one line.</summary>
public sealed class RealtimeSchedulingException : Exception
{
    public RealtimeSchedulingException(string message, int errorNumber = 0) : base(message)
    {
        ErrorNumber = errorNumber;
    }

    /// <summary>The errno of the failed call (1 = EPERM), or 0 when no system call failed.</summary>
    public int ErrorNumber { get; }
}
