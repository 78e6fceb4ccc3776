namespace RoboDdpg.Core.Timing;

/// <summary>
/// A clock that never goes backwards and is unaffected by wall-clock changes (NTP, DST), in nanoseconds
/// from an arbitrary origin. Only differences between readings are meaningful.
/// </summary>
public interface IMonotonicClock
{
    long NowNanoseconds { get; }
}
