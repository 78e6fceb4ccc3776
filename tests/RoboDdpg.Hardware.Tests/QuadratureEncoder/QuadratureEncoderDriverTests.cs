using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.QuadratureEncoder;
using RoboDdpg.Hardware.Tests.Support;
using RoboDdpg.Sim.MotorPendulum;
using Xunit.Abstractions;

namespace RoboDdpg.Hardware.Tests.QuadratureEncoder;

/// <summary>The real ×4 decoder against the emulated GPIO chip producing the encoder's edges from the plant.</summary>
[Trait("Category", "HIL")]
public sealed class QuadratureEncoderDriverTests(ITestOutputHelper output) : IDisposable
{
    private const int A = 17, B = 27, Cpr = 2048;
    private static readonly double RadiansPerCount = 2 * Math.PI / Cpr;
    private readonly FakeClock _clock = new();
    private readonly EmulatedBuses _buses = new();
    private MotorPendulumPlant _plant = null!;
    private EmulatedQuadratureEncoder _encoder = null!;

    public void Dispose() => _buses.Dispose();

    /// <summary>An arm without gravity (it stays where it is put) at θ = (count + ½)·2π/CPR, its encoder, and the driver opened on it.</summary>
    private QuadratureEncoderDriver Open(double count, params (string, object)[] settings)
    {
        _plant = Plants.Create(_clock, (count + 0.5) * RadiansPerCount, new MotorPendulumParameters { Gravity = 0 });
        _encoder = _buses.GpioDriver.AttachEncoder(_plant, A, B, Cpr);
        var driver = new QuadratureEncoderDriver(
            TestDevices.Describe("quadrature-encoder", [("pin_a", A), ("pin_b", B), ("counts_per_revolution", Cpr), .. settings]), _buses, _clock);
        driver.Open();
        return driver;
    }

    private double[] Read(QuadratureEncoderDriver driver)
    {
        var readings = new double[2];
        driver.Read(readings);
        return readings;
    }

    private void Turn(double radians)
    {
        var s = _plant.Sample();
        _plant.SetState(s.Theta + radians, 0);
        _buses.GpioDriver.Pump();
    }

    [Theory]
    [InlineData(1024)] // phase 0
    [InlineData(1025)] // phase 1: the decoder starts from the levels it finds
    [InlineData(-7)]
    public void A_quarter_turn_each_way_counts_512_and_reads_as_the_angle(int start)
    {
        using var driver = Open(start, ("zero_offset", Math.PI));
        Assert.Equal(Math.PI, Read(driver)[0]);
        Turn(Math.PI / 2);
        Assert.Equal(512, driver.Count);
        Assert.Equal(1.5 * Math.PI, Read(driver)[0], 12);
        Turn(-1.25 * 2 * Math.PI); // back 2560 counts
        Assert.Equal(512 - 2560, driver.Count);
        Assert.Equal(Math.PI + Math.PI / 2 - 2.5 * Math.PI, Read(driver)[0], 12);
        Assert.Equal(0, driver.IllegalTransitions);
        Assert.Equal(_encoder.Count, driver.Count);
    }

    [Fact]
    public void Invert_counts_the_other_way()
    {
        using var driver = Open(0, ("invert", true), ("zero_offset", 1.0));
        Turn(100 * RadiansPerCount);
        Assert.Equal(1.0 - 100 * RadiansPerCount, Read(driver)[0], 12);
    }

    [Fact]
    public void Velocity_is_the_count_change_over_the_time_between_reads()
    {
        using var driver = Open(0);
        _clock.Advance(0.010);
        Turn(100 * RadiansPerCount);
        Assert.Equal(100 * RadiansPerCount / 0.010, Read(driver)[1], 9); // 30.68 rad/s
        Assert.Equal(Read(driver)[1], 100 * RadiansPerCount / 0.010, 9); // same instant: repeated
        _clock.Advance(0.020);
        Turn(-30 * RadiansPerCount);
        Assert.Equal(-30 * RadiansPerCount / 0.020, Read(driver)[1], 9);
        _clock.Advance(0.010);
        Assert.Equal(0, Read(driver)[1]);
    }

    [Fact]
    public void A_missed_edge_is_an_illegal_transition_and_costs_two_counts()
    {
        using var driver = Open(0);
        _encoder.MissNextEdges(1);
        Turn(8 * RadiansPerCount);
        // A↑ lost, so B↑ finds both lines changed (00 → 11): illegal, no count; the other 6 edges count.
        Assert.Equal(6, driver.Count);
        Assert.Equal(1, driver.IllegalTransitions);
        Read(driver); // 1 ≤ max_illegal_transitions (16): still trusted
    }

    [Fact]
    public void Edges_too_close_together_are_one_illegal_transition()
    {
        using var driver = Open(0);
        _encoder.InjectIllegalTransition();
        Turn(8 * RadiansPerCount);
        Assert.Equal(6, driver.Count);
        Assert.Equal(1, driver.IllegalTransitions);
    }

    [Fact]
    public void Too_many_illegal_transitions_are_a_permanent_error()
    {
        using var driver = Open(0, ("max_illegal_transitions", 1));
        _encoder.InjectIllegalTransition();
        Turn(4 * RadiansPerCount);
        Read(driver);
        _encoder.InjectIllegalTransition();
        Turn(4 * RadiansPerCount);
        var error = Assert.Throws<DeviceException>(() => Read(driver));
        Assert.IsNotType<DeviceProtocolException>(error);
        Assert.Contains("2 illegal A/B transitions", error.Message);
        driver.Open(); // re-homing: counting starts afresh
        Assert.Equal(0, driver.IllegalTransitions);
        Read(driver);
    }

    [Fact]
    public void A_stuck_encoder_reads_as_a_shaft_at_rest()
    {
        using var driver = Open(0);
        _encoder.Stuck = true;
        _clock.Advance(0.01);
        Turn(50 * RadiansPerCount);
        var readings = Read(driver);
        Assert.Equal((0.0, 0.0), (readings[0], readings[1])); // undetectable here, as documented
    }

    [Fact]
    public void Dispose_releases_the_pins_and_stops_counting()
    {
        var driver = Open(0);
        driver.Dispose();
        Assert.False(_buses.Gpio.IsPinOpen(A));
        Turn(10 * RadiansPerCount);
        Assert.Equal(0, driver.Count);
    }

    [Fact]
    public void A_missing_gpio_chip_is_a_permanent_error_naming_the_device()
    {
        var driver = new QuadratureEncoderDriver(
            TestDevices.Describe("quadrature-encoder", ("pin_a", A), ("pin_b", B), ("counts_per_revolution", Cpr)),
            new NoBuses());
        var error = Assert.Throws<DeviceException>(driver.Open);
        Assert.Equal("device 'dut': no GPIO chip", error.Message);
    }

    [Fact]
    public void Real_time_pumping_delivers_every_edge_of_a_falling_arm()
    {
        // Real clock: the arm falls from near upright under gravity, motor coasting (no back-EMF braking), while the
        // background thread pumps at 5 kHz; it passes ~1 rad, ~350 counts, within 0.4 s.
        var plant = new MotorPendulumPlant(new MotorPendulumParameters(), MonotonicClock.Instance, initialTheta: 0.3);
        plant.SetTorque(0);
        var encoder = _buses.GpioDriver.AttachEncoder(plant, A, B, Cpr);
        using var driver = new QuadratureEncoderDriver(
            TestDevices.Describe("quadrature-encoder", ("pin_a", A), ("pin_b", B), ("counts_per_revolution", Cpr)), _buses);
        driver.Open();
        _buses.GpioDriver.StartPumping();
        Thread.Sleep(400);
        _buses.GpioDriver.StopPumping();
        output.WriteLine($"counts {driver.Count} (emulator {encoder.Count}), edges {encoder.EdgesEmitted}, illegal {driver.IllegalTransitions}");
        Assert.True(encoder.Count > 200, $"the arm should have fallen: {encoder.Count} counts");
        Assert.Equal(encoder.Count, driver.Count);
        Assert.Equal(0, driver.IllegalTransitions);
    }

    [Fact]
    public void The_catalog_builds_this_driver_with_the_channels_it_declares()
    {
        var description = TestDevices.Describe("quadrature-encoder", ("pin_a", A), ("pin_b", B), ("counts_per_revolution", Cpr));
        var type = DeviceCatalog.Types[description.Type];
        using var device = type.Create(description, _buses);
        Assert.IsType<QuadratureEncoderDriver>(device);
        Assert.Equal(type.Inputs(description.Settings), device.Inputs);
        Assert.Equal(type.Outputs(description.Settings), device.Outputs);
    }

    private sealed class NoBuses : Buses.IBusProvider
    {
        public System.Device.I2c.I2cDevice OpenI2c(int busId, int address) => throw new NotSupportedException();

        public System.Device.Gpio.GpioController Gpio => throw new Buses.BusUnavailableException("no GPIO chip");

        public System.Device.Pwm.PwmChannel OpenPwm(int chip, int channel, int frequencyHz) => throw new NotSupportedException();

        public string ResolveSerialPort(string port) => throw new NotSupportedException();
    }
}
