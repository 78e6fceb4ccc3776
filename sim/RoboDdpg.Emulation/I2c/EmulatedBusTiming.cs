using RoboDdpg.Core.Timing;

namespace RoboDdpg.Emulation.I2c;

/// <summary>
/// How long an emulated I2C transaction takes and how the emulator waits for it. A transaction of n bytes (address
/// byte included) occupies the bus for about (9·n + 2) bit times (8 data bits + ACK per byte, start and stop) at
/// <paramref name="ClockHz"/>; 0 makes transactions instantaneous.
/// </summary>
/// <param name="ClockHz">Modelled SCL frequency (100 000 or 400 000 on a Raspberry Pi); 0 = no modelled bus time.</param>
/// <param name="Waiter">
/// What "takes time" means: null picks a <see cref="FakeWaiter"/> (advances fake time) for a <see cref="FakeClock"/>
/// and a sleeping waiter for a real clock. Latency spikes use the same waiter.
/// </param>
public sealed record EmulatedBusTiming(int ClockHz = 400_000, IDeadlineWaiter? Waiter = null)
{
    /// <summary>Instantaneous transactions: only injected latency spikes take time.</summary>
    public static EmulatedBusTiming Instant { get; } = new(0);

    /// <summary>A 400 kHz bus (fast mode), the usual setting for these devices.</summary>
    public static EmulatedBusTiming FastMode { get; } = new(400_000);

    internal IDeadlineWaiter ResolveWaiter(IMonotonicClock clock) => Waiter ?? clock switch
    {
        FakeClock fake => new FakeWaiter(fake),
        _ => DeadlineWaiter.Create(WaitStrategy.Sleep, clock, TimeSpan.Zero),
    };

    /// <summary>Bus time of a transaction moving <paramref name="bytes"/> bytes, address byte included, in ns.</summary>
    internal long TransactionNanoseconds(int bytes) =>
        ClockHz <= 0 ? 0 : (long)((9.0 * bytes + 2.0) * 1e9 / ClockHz);
}
