namespace RoboDdpg.Core.Timing;

/// <summary>
/// Blocks the calling thread until a monotonic-clock deadline. Returns at once if the deadline has passed.
/// Pluggable so that <see cref="FakeClock"/> tests can use a <see cref="FakeWaiter"/>. Must not allocate.
/// </summary>
public interface IDeadlineWaiter
{
    void WaitUntil(long deadlineNanoseconds);
}
