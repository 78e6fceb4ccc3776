namespace RoboDdpg.Core.Replay;

/// <summary>
/// Where the control loop records transitions: the local replay ring (one-process learning) or a ring that a sender
/// thread streams to a remote learner. <see cref="Add"/> runs on the real-time loop thread: it must not block or allocate.
/// </summary>
public interface ITransitionSink
{
    int ObservationSize { get; }
    int ActionSize { get; }

    /// <summary>Transitions ever added (the loop's random-action warm-up counts against it).</summary>
    long TotalAdded { get; }

    void Add(ReadOnlySpan<float> observation, ReadOnlySpan<float> action, float reward, ReadOnlySpan<float> nextObservation, bool terminated);
}
