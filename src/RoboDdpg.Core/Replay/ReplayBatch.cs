namespace RoboDdpg.Core.Replay;

/// <summary>Preallocated destination of <see cref="ReplayBuffer.Sample"/>: row-major arrays, one row per transition.</summary>
public sealed class ReplayBatch
{
    public ReplayBatch(int size, int observationSize, int actionSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        Observations = new float[size * observationSize];
        Actions = new float[size * actionSize];
        Rewards = new float[size];
        NextObservations = new float[size * observationSize];
        Terminated = new float[size];
        Indices = new int[size];
    }

    public int Size { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }
    public float[] Observations { get; }
    public float[] Actions { get; }
    public float[] Rewards { get; }
    public float[] NextObservations { get; }

    /// <summary>1 where the transition ended in a true terminal state, else 0.</summary>
    public float[] Terminated { get; }

    /// <summary>Buffer slots the rows were drawn from.</summary>
    public int[] Indices { get; }
}
