using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Ads1115;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Ads1115;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.Tests.Support;

namespace RoboDdpg.Hardware.Tests.Ads1115;

/// <summary>
/// The real driver (dotnet/iot Ads1115, single-shot) against the emulated ADC: motor current through a 0.1 Ω shunt
/// on a0, the 12 V supply through a 0.2 divider on a1. The bus runs at a modelled 400 kHz on the fake clock, so the
/// binding's polling of the OS bit lets the conversions finish.
/// </summary>
[Trait("Category", "HIL")]
public sealed class Ads1115DriverTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedAds1115 _adc;
    private readonly EmulatedBuses _buses = new();

    public Ads1115DriverTests()
    {
        _plant = Plants.Create(_clock);
        _plant.SetTorque(0.6); // a current-controlled drive: the armature current is exactly 0.6 / (30 · 0.02) = 1 A
        _adc = new EmulatedAds1115(_plant, _clock);
        _buses.Add(_adc);
    }

    public void Dispose() => _buses.Dispose();

    private Ads1115Driver Open(params (string, object)[] settings)
    {
        var driver = new Ads1115Driver(TestDevices.Describe("ads1115", settings), _buses);
        driver.Open();
        return driver;
    }

    private static double[] Read(Ads1115Driver driver)
    {
        var readings = new double[driver.Inputs.Count];
        driver.Read(readings);
        return readings;
    }

    [Fact]
    public void Shunt_and_divider_voltages_at_the_4_volt_range()
    {
        using var driver = Open(("inputs", "a0, a1"));
        Assert.Equal(["a0", "a1"], driver.Inputs);
        Assert.True(driver.MayBlock);
        var r = Read(driver);
        Assert.Equal(0.1, r[0], 9); // 1 A · 0.1 Ω → code 800 · 4.096/32768
        Assert.Equal(2.4, r[1], 9); // 12 V · 0.2 → code 19200
    }

    [Fact]
    public void A_reverse_current_reads_negative()
    {
        _plant.SetTorque(-0.3); // −0.5 A
        using var driver = Open();
        Assert.Equal(-0.05, Read(driver)[0], 9);
    }

    [Fact]
    public void The_smallest_range_resolves_finer_and_saturates_at_full_scale()
    {
        _plant.SetTorque(0.123); // 0.205 A → 20.5 mV
        using var driver = Open(("inputs", "a0,a1"), ("range_volts", 0.256));
        var r = Read(driver);
        Assert.Equal(Math.Round(0.0205 * 32768 / 0.256) * 0.256 / 32768, r[0], 12); // code 2624 → 0.0205 V
        Assert.Equal(32767 * 0.256 / 32768, r[1], 12); // 2.4 V is beyond ±0.256 V
    }

    [Theory]
    [InlineData(860, 2)]
    [InlineData(8, 1)]
    public void A_read_lasts_one_conversion_per_input(int sps, int inputs)
    {
        using var driver = Open(("inputs", inputs == 2 ? "a0,a1" : "a1"), ("samples_per_second", sps));
        var before = _clock.NowNanoseconds;
        Read(driver);
        var seconds = (_clock.NowNanoseconds - before) * 1e-9;
        // inputs/DR of conversion, plus the bus time of the polls (≈ 0.11 ms each at 400 kHz) and the final reads.
        Assert.InRange(seconds, inputs / (double)sps, inputs / (double)sps + inputs * 0.0003 + 0.0005);
    }

    [Fact]
    public void Settings_the_chip_does_not_have_are_refused()
    {
        Assert.Equal("device 'dut': range_volts must be 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256, not 3",
            Assert.Throws<DeviceException>(() => new Ads1115Driver(TestDevices.Describe("ads1115", ("range_volts", 3.0)), _buses)).Message);
        Assert.Equal("device 'dut': samples_per_second must be 8, 16, 32, 64, 128, 250, 475 or 860, not 100",
            Assert.Throws<DeviceException>(() => new Ads1115Driver(TestDevices.Describe("ads1115", ("samples_per_second", 100)), _buses)).Message);
        Assert.Equal("device 'dut': unknown input 'a4' in inputs: use a0, a1, a2 or a3",
            Assert.Throws<DeviceException>(() => new Ads1115Driver(TestDevices.Describe("ads1115", ("inputs", "a0,a4")), _buses)).Message);
        Assert.Equal("device 'dut': input 'a0' is listed twice",
            Assert.Throws<DeviceException>(() => new Ads1115Driver(TestDevices.Describe("ads1115", ("inputs", "a0,a1,a0")), _buses)).Message);
    }

    [Fact]
    public void An_absent_chip_is_a_permanent_error_at_open()
    {
        _adc.Faults.Nack = true;
        var driver = new Ads1115Driver(TestDevices.Describe("ads1115"), _buses);
        Assert.StartsWith("device 'dut': no ADS1115 answers at 0x48 on I2C bus 1", Assert.Throws<DeviceException>(driver.Open).Message);
    }

    [Fact]
    public void Garbage_at_open_fails_the_config_readback()
    {
        _adc.Faults.Garbage = true;
        var driver = new Ads1115Driver(TestDevices.Describe("ads1115"), _buses);
        Assert.Contains("reads 0x7fff", Assert.Throws<DeviceException>(driver.Open).Message);
    }

    [Fact]
    public void A_nack_while_reading_is_transient()
    {
        using var driver = Open();
        _adc.Faults.NackNext(1);
        var error = Assert.Throws<IOException>(() => Read(driver));
        Assert.IsNotAssignableFrom<DeviceException>(error);
        Assert.Equal(0.1, Read(driver)[0], 9);
    }

    [Fact]
    public void Garbage_while_reading_is_flagged_by_the_config_readback()
    {
        using var driver = Open();
        _adc.Faults.Garbage = true;
        var error = Assert.Throws<DeviceProtocolException>(() => Read(driver));
        Assert.Equal("device 'dut': config register reads 0x7fff after the conversion, expected 0x43e3 (OS bit aside): garbage on the bus, or the chip was reset or ignores writes", error.Message);
    }

    [Fact]
    public void A_frozen_chip_is_flagged_when_the_mux_should_have_moved()
    {
        using var driver = Open(("inputs", "a0,a1"));
        Read(driver); // leaves the mux on a1
        _adc.Faults.Frozen = true;
        // The config write for a0 is ignored and the chip looks idle: without the readback, a0 would read a1's 2.4 V.
        var error = Assert.Throws<DeviceProtocolException>(() => Read(driver));
        Assert.Contains("config register reads 0x53e3 after the conversion, expected 0x43e3", error.Message);
    }

    [Fact]
    public void A_frozen_single_input_is_reported_as_read()
    {
        using var driver = Open();
        Assert.Equal(0.1, Read(driver)[0], 9);
        _adc.Faults.Frozen = true;
        _plant.SetTorque(1.2); // 2 A: 0.2 V on the shunt
        Assert.Equal(0.1, Read(driver)[0], 9); // indistinguishable from a constant input, as documented
        _adc.Faults.Frozen = false;
        Assert.Equal(0.2, Read(driver)[0], 9);
    }

    [Fact]
    public void A_conversion_that_never_ends_times_out()
    {
        using var driver = Open();
        _adc.Write([0x01, 0xC3, 0xE3]); // start a conversion, then the chip hangs mid-way
        _adc.Faults.Frozen = true;
        var error = Assert.Throws<TimeoutException>(() => Read(driver));
        Assert.IsNotAssignableFrom<DeviceException>(error);
    }

    [Fact]
    public void A_latency_spike_delays_the_read_without_failing_it()
    {
        using var driver = Open();
        _adc.Faults.AddLatency(TimeSpan.FromMilliseconds(30));
        var before = _clock.NowNanoseconds;
        Assert.Equal(0.1, Read(driver)[0], 9);
        Assert.InRange(_clock.NowNanoseconds - before, 30_000_000L, 33_000_000L);
    }

    [Fact]
    public void The_catalog_builds_this_driver_with_the_channels_it_declares()
    {
        var description = TestDevices.Describe("ads1115", ("inputs", "a1,a3"));
        var type = DeviceCatalog.Types[description.Type];
        using var device = type.Create(description, _buses);
        Assert.IsType<Ads1115Driver>(device);
        Assert.Equal(type.Inputs(description.Settings), device.Inputs);
        Assert.Equal(type.Outputs(description.Settings), device.Outputs);
    }
}
