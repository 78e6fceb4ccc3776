namespace RoboDdpg.Emulation.I2c;

/// <summary>
/// Faults an emulated I2C device shows on demand, switchable at runtime from any thread (a test, or the HIL
/// composition's fault schedule). Each fault is counted when it actually hits a transaction.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>NACK</b>: the transaction throws <see cref="IOException"/>, as the Linux i2c-dev driver does when the
/// device does not acknowledge (errno 121, EREMOTEIO).</item>
/// <item><b>Frozen</b>: the register file stops changing: writes are acknowledged but ignored, sensor outputs are no
/// longer refreshed, conversions neither start nor finish (what a hung chip looks like from the bus).</item>
/// <item><b>Garbage</b>: every byte read is 0xFF (SDA stuck high, a browned-out device).</item>
/// <item><b>Latency spike</b>: the next transactions take extra time (clock stretching, a busy bus, a kernel hiccup).</item>
/// </list>
/// </remarks>
public sealed class I2cFaultInjection
{
    private readonly object _gate = new();
    private volatile bool _nack;
    private volatile bool _frozen;
    private volatile bool _garbage;
    private int _nackNext;
    private long _latencyNanoseconds;
    private int _latencyTransactions;
    private long _nacksDelivered;
    private long _latencySpikesDelivered;

    /// <summary>Every transaction is NACKed while set.</summary>
    public bool Nack
    {
        get => _nack;
        set => _nack = value;
    }

    /// <summary>Registers frozen while set (see the class remarks).</summary>
    public bool Frozen
    {
        get => _frozen;
        set => _frozen = value;
    }

    /// <summary>Reads return 0xFF bytes while set.</summary>
    public bool Garbage
    {
        get => _garbage;
        set => _garbage = value;
    }

    /// <summary>NACKs the next <paramref name="transactions"/> transactions, then answers normally again.</summary>
    public void NackNext(int transactions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(transactions);
        Volatile.Write(ref _nackNext, transactions);
    }

    /// <summary>Makes each of the next <paramref name="transactions"/> transactions take <paramref name="extra"/> longer.</summary>
    public void AddLatency(TimeSpan extra, int transactions = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(extra.Ticks);
        ArgumentOutOfRangeException.ThrowIfNegative(transactions);
        lock (_gate)
        {
            _latencyNanoseconds = extra.Ticks * 100;
            _latencyTransactions = transactions;
        }
    }

    /// <summary>Clears every fault.</summary>
    public void Clear()
    {
        _nack = false;
        _frozen = false;
        _garbage = false;
        Volatile.Write(ref _nackNext, 0);
        AddLatency(TimeSpan.Zero, 0);
    }

    /// <summary>Transactions NACKed so far.</summary>
    public long NacksDelivered => Interlocked.Read(ref _nacksDelivered);

    /// <summary>Transactions delayed by a latency spike so far.</summary>
    public long LatencySpikesDelivered => Interlocked.Read(ref _latencySpikesDelivered);

    /// <summary>True if this transaction is to be NACKed (consumes one of <see cref="NackNext"/>).</summary>
    internal bool TakeNack()
    {
        var hit = _nack;
        if (!hit)
        {
            int remaining;
            do
            {
                remaining = Volatile.Read(ref _nackNext);
                if (remaining <= 0) break;
            } while (Interlocked.CompareExchange(ref _nackNext, remaining - 1, remaining) != remaining);
            hit = remaining > 0;
        }
        if (hit) Interlocked.Increment(ref _nacksDelivered);
        return hit;
    }

    /// <summary>Extra nanoseconds this transaction takes (consumes one spike).</summary>
    internal long TakeLatency()
    {
        if (Volatile.Read(ref _latencyTransactions) <= 0) return 0;
        lock (_gate)
        {
            if (_latencyTransactions <= 0) return 0;
            _latencyTransactions--;
            Interlocked.Increment(ref _latencySpikesDelivered);
            return _latencyNanoseconds;
        }
    }
}
