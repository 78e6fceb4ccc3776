using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Ads1115;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Hardware.Tests.Support;

namespace RoboDdpg.Hardware.Tests.Ads1115;

/// <summary>The ADS1115 emulator's single-shot conversion and registers through raw bus transactions.</summary>
public sealed class EmulatedAds1115Tests
{
    private readonly FakeClock _clock = new();
    private readonly EmulatedAds1115 _adc;

    public EmulatedAds1115Tests()
    {
        var plant = Plants.Create(_clock);
        plant.SetTorque(0.6); // armature current 0.6 / (30 · 0.02) = 1 A
        _adc = new EmulatedAds1115(plant, _clock, new EmulatedAds1115Options { Timing = EmulatedBusTiming.Instant });
    }

    [Fact]
    public void Power_on_registers_are_the_datasheet_defaults()
    {
        Assert.Equal(0x8583, _adc.Register(1));
        Assert.Equal(0x8000, _adc.Register(2));
        Assert.Equal(0x7FFF, _adc.Register(3));
    }

    [Fact]
    public void A_single_shot_conversion_clears_os_for_one_over_the_data_rate_then_holds_the_result()
    {
        // OS | MUX = AIN0 | PGA ±0.256 V | single shot; DR = 860 SPS, comparator off.
        _adc.Write([0x01, 0xCB, 0xE3]);
        Assert.Equal(0x4BE3, _adc.Register(1)); // converting: OS reads 0
        _clock.Advance(1.0 / 860 - 1e-6);
        Assert.Equal(0x4BE3, _adc.Register(1));
        _clock.Advance(2e-6);
        Assert.Equal(0xCBE3, _adc.Register(1));
        Assert.Equal(12800, _adc.Register(0)); // 1 A · 0.1 Ω = 0.1 V · 32768 / 0.256
        Assert.Equal(1, _adc.Conversions);
    }

    [Fact]
    public void The_supply_divider_is_on_ain1_and_clips_at_full_scale()
    {
        _adc.Write([0x01, 0xD3, 0xE3]); // AIN1, ±4.096 V
        _clock.Advance(0.002);
        Assert.Equal(19200, _adc.Register(0)); // 12 V · 0.2 = 2.4 V · 32768 / 4.096
        _adc.Write([0x01, 0xDB, 0xE3]); // AIN1, ±0.256 V
        _clock.Advance(0.002);
        Assert.Equal(32767, _adc.Register(0));
    }
}
