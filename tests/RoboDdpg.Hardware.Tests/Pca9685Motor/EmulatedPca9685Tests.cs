using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Pca9685;

namespace RoboDdpg.Hardware.Tests.Pca9685Motor;

/// <summary>The emulator's register semantics against the PCA9685 datasheet, through raw bus transactions.</summary>
public sealed class EmulatedPca9685Tests
{
    private readonly EmulatedPca9685 _chip = new(new FakeClock(), timing: EmulatedBusTiming.Instant);

    [Fact]
    public void Power_on_state_is_asleep_at_200_hz_with_every_channel_full_off()
    {
        Assert.Equal(0x11, _chip.Register(0x00));
        Assert.Equal(0x04, _chip.Register(0x01));
        Assert.Equal(0x1E, _chip.Register(0xFE));
        Assert.True(_chip.Sleeping);
        Assert.Equal(25e6 / (4096 * 31), _chip.PwmFrequencyHz, 9);
        for (var channel = 0; channel < 16; channel++)
        {
            Assert.Equal(0x1000, _chip.OffCount(channel));
            Assert.Equal(0, _chip.ChannelDuty(channel));
        }
    }

    [Fact]
    public void Prescale_is_written_only_while_asleep_and_floored_at_3()
    {
        _chip.Write([0xFE, 0x79]);
        Assert.Equal(0x79, _chip.Register(0xFE));
        _chip.Write([0x00, 0x01]); // wake (AI off)
        _chip.Write([0xFE, 0x05]);
        Assert.Equal(0x79, _chip.Register(0xFE));
        _chip.Write([0x00, 0x11]);
        _chip.Write([0xFE, 0x01]);
        Assert.Equal(3, _chip.Register(0xFE));
    }

    [Fact]
    public void Auto_increment_writes_and_reads_consecutive_registers_only_when_AI_is_set()
    {
        _chip.Write([0x00, 0x21]); // AI | ALLCALL, awake
        _chip.Write([0x06, 0x00, 0x00, 0x00, 0x08]); // LED0: ON = 0, OFF = 0x800
        Assert.Equal(0x0800, _chip.OffCount(0));
        Assert.Equal(0.5, _chip.ChannelDuty(0));
        _chip.WriteByte(0x08);
        Span<byte> two = stackalloc byte[2];
        _chip.Read(two);
        Assert.Equal(new byte[] { 0x00, 0x08 }, two.ToArray());

        _chip.Write([0x00, 0x01]); // AI off: every byte lands on the same register
        _chip.Write([0x0A, 0x11, 0x22, 0x33]);
        Assert.Equal(0x33, _chip.Register(0x0A));
        Assert.Equal(0x00, _chip.Register(0x0B));
    }

    [Fact]
    public void Full_off_wins_over_full_on_and_on_off_counts_wrap()
    {
        _chip.Write([0x00, 0x21]);
        _chip.Write([0x06, 0x00, 0x10, 0x00, 0x10]); // full on and full off: off wins
        Assert.Equal(0, _chip.ChannelDuty(0));
        _chip.Write([0x06, 0x00, 0x10, 0x00, 0x00]);
        Assert.Equal(1, _chip.ChannelDuty(0));
        _chip.Write([0x06, 0x00, 0x0C, 0x00, 0x04]); // ON = 3072, OFF = 1024: high 2048 of 4096 counts across the wrap
        Assert.Equal(0.5, _chip.ChannelDuty(0));
    }

    [Fact]
    public void All_led_registers_write_every_channel_and_read_back_zero()
    {
        _chip.Write([0x00, 0x21]);
        _chip.Write([0xFA, 0x00, 0x00, 0x00, 0x04]); // ALL: ON = 0, OFF = 1024
        for (var channel = 0; channel < 16; channel++) Assert.Equal(0.25, _chip.ChannelDuty(channel));
        _chip.WriteByte(0xFA);
        Span<byte> four = stackalloc byte[4];
        _chip.Read(four);
        Assert.Equal(new byte[4], four.ToArray());
    }

    [Fact]
    public void Sleep_while_outputs_run_sets_restart_and_writing_one_clears_it()
    {
        _chip.Write([0x00, 0x21]);
        _chip.Write([0x06, 0x00, 0x00, 0x00, 0x08]);
        _chip.Write([0x00, 0x31]);
        Assert.Equal(0xB1, _chip.Register(0x00));
        Assert.Equal(0, _chip.ChannelDuty(0)); // oscillator off
        _chip.Write([0x00, 0xA1]);
        Assert.Equal(0x21, _chip.Register(0x00));
        Assert.Equal(0.5, _chip.ChannelDuty(0));
    }
}
