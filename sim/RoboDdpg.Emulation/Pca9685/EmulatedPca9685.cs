using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.I2c;

namespace RoboDdpg.Emulation.Pca9685;

/// <summary>
/// Register-level NXP PCA9685 (16-channel 12-bit PWM) as seen over I2C: MODE1/MODE2, PRE_SCALE, LEDn_ON/OFF with the
/// full-on/full-off bits (bit 4 of the _H registers), ALL_LED broadcast registers and register auto-increment.
/// Outputs change at the STOP of each write transaction (MODE2.OCH = 0), when <see cref="OutputsChanged"/> fires.
/// </summary>
/// <remarks>
/// Datasheet behaviour kept because drivers depend on it: power-on values (MODE1 0x11 = SLEEP|ALLCALL, MODE2 0x04,
/// PRE_SCALE 0x1E, every channel full-off); PRE_SCALE writes are ignored unless SLEEP is set and are floored at 3;
/// auto-increment (MODE1.AI) wraps from 0x45 to 0x00; ALL_LED registers write every channel and read back 0;
/// writing 1 to RESTART clears it; setting SLEEP while any output is active sets RESTART.
/// Simplifications: while SLEEP is set every output is low (no oscillator); MODE2.INVRT inverts the duty; the
/// sub-addresses are stored but the emulator answers only its own address.
/// </remarks>
public sealed class EmulatedPca9685 : EmulatedI2cDevice
{
    /// <summary>Internal oscillator, Hz.</summary>
    public const double OscillatorHz = 25_000_000;

    private const byte Mode1 = 0x00, Mode2 = 0x01, Led0OnL = 0x06, LastLedRegister = 0x45;
    private const byte AllLedOnL = 0xFA, AllLedOffH = 0xFD, PreScale = 0xFE;
    private const byte Restart = 0x80, AutoIncrement = 0x20, Sleep = 0x10, Invert = 0x10;
    private const byte FullBit = 0x10;

    private readonly byte[] _registers = new byte[256];
    private byte _pointer;

    public EmulatedPca9685(IMonotonicClock clock, int busId = 1, int address = 0x60, EmulatedBusTiming? timing = null)
        : base(busId, address, clock, timing)
    {
        PowerOn();
    }

    /// <summary>Fires after every write transaction that was not ignored (outputs update at STOP).</summary>
    public event Action? OutputsChanged;

    /// <summary>Current PWM frequency from PRE_SCALE: 25 MHz / (4096 · (prescale + 1)).</summary>
    public double PwmFrequencyHz => OscillatorHz / (4096.0 * (Register(PreScale) + 1));

    /// <summary>True while MODE1.SLEEP is set (oscillator off, outputs low).</summary>
    public bool Sleeping => (Register(Mode1) & Sleep) != 0;

    /// <summary>Register content without bus side effects (tests, diagnostics).</summary>
    public byte Register(int address)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(address);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(address, 255);
        return Volatile.Read(ref _registers[address]);
    }

    /// <summary>LEDn_ON as the 13-bit value the chip holds (bit 12 = full on).</summary>
    public int OnCount(int channel) => Word(Led0OnL + 4 * CheckChannel(channel));

    /// <summary>LEDn_OFF as the 13-bit value the chip holds (bit 12 = full off).</summary>
    public int OffCount(int channel) => Word(Led0OnL + 2 + 4 * CheckChannel(channel));

    /// <summary>
    /// Fraction of the PWM period channel <paramref name="channel"/> is high: full-off wins over full-on, otherwise
    /// (OFF − ON) mod 4096 counts out of 4096.
    /// </summary>
    public double ChannelDuty(int channel)
    {
        var on = OnCount(channel);
        var off = OffCount(channel);
        double duty;
        if (Sleeping || (off & 0x1000) != 0) duty = 0;
        else if ((on & 0x1000) != 0) duty = 1;
        else duty = (((off & 0xFFF) - (on & 0xFFF)) & 0xFFF) / 4096.0;
        return (Register(Mode2) & Invert) != 0 ? 1 - duty : duty;
    }

    protected override void ReadRegisters(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = _pointer is >= AllLedOnL and <= AllLedOffH ? (byte)0 : _registers[_pointer];
            Advance();
        }
    }

    protected override void WriteRegisters(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty) return;
        _pointer = buffer[0];
        if (buffer.Length == 1) return; // pointer only, for a following read
        var frozen = IsFrozen;
        for (var i = 1; i < buffer.Length; i++)
        {
            if (!frozen) Store(_pointer, buffer[i]);
            Advance();
        }
        if (!frozen) OutputsChanged?.Invoke();
    }

    private void PowerOn()
    {
        Array.Clear(_registers);
        _registers[Mode1] = 0x11;
        _registers[Mode2] = 0x04;
        _registers[0x02] = 0xE2;
        _registers[0x03] = 0xE4;
        _registers[0x04] = 0xE8;
        _registers[0x05] = 0xE0;
        for (var channel = 0; channel < 16; channel++) _registers[Led0OnL + 4 * channel + 3] = FullBit;
        _registers[PreScale] = 0x1E;
    }

    private void Store(byte register, byte value)
    {
        switch (register)
        {
            case Mode1:
                var old = _registers[Mode1];
                var next = (byte)(value & 0x7F);
                var restart = (byte)(old & Restart);
                if ((value & Restart) != 0) restart = 0; // writing 1 clears RESTART
                if ((old & Sleep) == 0 && (next & Sleep) != 0 && AnyOutputActive()) restart = Restart;
                Volatile.Write(ref _registers[Mode1], (byte)(next | restart));
                break;
            case <= LastLedRegister when register >= Led0OnL:
                // Only bits 0..4 of the _H registers exist (12-bit count + full bit).
                Volatile.Write(ref _registers[register], (register - Led0OnL) % 2 == 1 ? (byte)(value & 0x1F) : value);
                break;
            case >= AllLedOnL and <= AllLedOffH:
                var offset = register - AllLedOnL;
                var masked = offset % 2 == 1 ? (byte)(value & 0x1F) : value;
                for (var channel = 0; channel < 16; channel++) Volatile.Write(ref _registers[Led0OnL + 4 * channel + offset], masked);
                break;
            case PreScale:
                if ((_registers[Mode1] & Sleep) != 0) Volatile.Write(ref _registers[PreScale], Math.Max(value, (byte)3));
                break;
            case < Led0OnL:
                Volatile.Write(ref _registers[register], value);
                break;
            default:
                break; // reserved registers and TestMode: ignored
        }
    }

    private void Advance()
    {
        if ((_registers[Mode1] & AutoIncrement) == 0) return;
        _pointer = _pointer == LastLedRegister ? (byte)0 : unchecked((byte)(_pointer + 1));
    }

    private bool AnyOutputActive()
    {
        for (var channel = 0; channel < 16; channel++)
        {
            if ((OffCount(channel) & 0x1000) == 0 && ((OnCount(channel) & 0x1000) != 0 || (OffCount(channel) & 0xFFF) != (OnCount(channel) & 0xFFF)))
                return true;
        }
        return false;
    }

    private int Word(int low) => Register(low) | (Register(low + 1) << 8);

    private static int CheckChannel(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channel, 15);
        return channel;
    }
}
