namespace RoboDdpg.Sim.Motors;

/// <summary>
/// Actuation latency of k control ticks: the command applied at step t is the one commanded at t − k (0, the safe
/// command, for the first k steps after a <see cref="Clear"/>). A ring of k slots: the slot read now was written k
/// steps ago. Allocation-free per step.
/// </summary>
public sealed class ActuationDelay
{
    private readonly double[] _queue;
    private int _index;

    public ActuationDelay(int ticks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ticks);
        _queue = new double[ticks];
    }

    /// <summary>Latency in ticks.</summary>
    public int Ticks => _queue.Length;

    /// <summary>Queues <paramref name="command"/> and returns the command to apply now.</summary>
    public double Push(double command)
    {
        if (_queue.Length == 0) return command;
        var applied = _queue[_index];
        _queue[_index] = command;
        _index = (_index + 1) % _queue.Length;
        return applied;
    }

    /// <summary>Fills the queue with the safe command 0 (a new episode).</summary>
    public void Clear()
    {
        Array.Clear(_queue);
        _index = 0;
    }
}
