using System.Device.I2c;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Emulation.I2c;

/// <summary>
/// The bus side shared by the register-level I2C emulators: transactions are serialized (one device, one bus),
/// take modelled bus time, and pass through the fault injection (NACK, garbage reads, latency spikes) before the
/// device sees them. Subclasses implement the register semantics of one chip.
/// </summary>
/// <remarks>
/// Each <see cref="Read"/>, <see cref="Write"/> and <see cref="WriteRead"/> is one transaction, as with the Linux
/// i2c-dev driver (<c>WriteByte</c> then <c>ReadByte</c> are two transactions; <c>WriteRead</c> is one with a
/// repeated start). The bus time elapses before the device acts, so a write takes effect at its STOP condition.
/// </remarks>
public abstract class EmulatedI2cDevice : I2cDevice
{
    private readonly object _bus = new();
    private readonly EmulatedBusTiming _timing;
    private readonly IDeadlineWaiter _waiter;
    private long _transactions;

    protected EmulatedI2cDevice(int busId, int address, IMonotonicClock clock, EmulatedBusTiming? timing)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ConnectionSettings = new I2cConnectionSettings(busId, address);
        Clock = clock;
        _timing = timing ?? EmulatedBusTiming.FastMode;
        _waiter = _timing.ResolveWaiter(clock);
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>Faults to show, switchable at runtime.</summary>
    public I2cFaultInjection Faults { get; } = new();

    /// <summary>Transactions attempted so far (NACKed ones included).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>The clock the device's notion of "now" comes from (the plant's clock).</summary>
    protected IMonotonicClock Clock { get; }

    /// <summary>True while the register file is frozen by fault injection.</summary>
    protected bool IsFrozen => Faults.Frozen;

    public sealed override void Read(Span<byte> buffer)
    {
        lock (_bus)
        {
            Begin(1 + buffer.Length);
            if (Faults.Garbage) buffer.Fill(0xFF);
            else ReadRegisters(buffer);
        }
    }

    public sealed override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_bus)
        {
            Begin(1 + buffer.Length);
            WriteRegisters(buffer);
        }
    }

    public sealed override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        lock (_bus)
        {
            // Address + write bytes, repeated start, address + read bytes.
            Begin(2 + writeBuffer.Length + readBuffer.Length);
            WriteRegisters(writeBuffer);
            if (Faults.Garbage) readBuffer.Fill(0xFF);
            else ReadRegisters(readBuffer);
        }
    }

    /// <summary>The device's answer to a read transaction, from its register pointer on.</summary>
    protected abstract void ReadRegisters(Span<byte> buffer);

    /// <summary>A write transaction: usually the register pointer first, then data bytes.</summary>
    protected abstract void WriteRegisters(ReadOnlySpan<byte> buffer);

    private void Begin(int bytes)
    {
        Interlocked.Increment(ref _transactions);
        var nack = Faults.TakeNack();
        // A NACKed transaction stops after the address byte.
        var busy = _timing.TransactionNanoseconds(nack ? 1 : bytes) + Faults.TakeLatency();
        if (busy > 0) _waiter.WaitUntil(Clock.NowNanoseconds + busy);
        if (nack)
        {
            throw new IOException(
                $"I2C transfer to 0x{ConnectionSettings.DeviceAddress:x2} on bus {ConnectionSettings.BusId} failed: remote I/O error (121): no acknowledge");
        }
    }
}
