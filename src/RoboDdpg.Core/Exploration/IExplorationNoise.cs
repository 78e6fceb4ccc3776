namespace RoboDdpg.Core.Exploration;

/// <summary>
/// Exploration noise added to the deterministic policy's action. Samples are in normalized action
/// units (the action range mapped to [−1, 1]); the caller scales them by each dimension's half-range.
/// </summary>
public interface IExplorationNoise
{
    int Size { get; }

    /// <summary>Writes the next noise sample.</summary>
    void Sample(Span<float> noise);

    /// <summary>Called at each episode start (resets temporally correlated noise).</summary>
    void Reset();

    /// <summary>Internal state beyond the random generator (for checkpoints); empty for memoryless noise.</summary>
    double[] GetState();

    void SetState(ReadOnlySpan<double> state);
}
