using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Mpu6050;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.Mpu6050;
using RoboDdpg.Hardware.Tests.Support;

namespace RoboDdpg.Hardware.Tests.Mpu6050;

/// <summary>
/// The real driver (dotnet/iot Mpu6050) against the emulated chip on the arm, 0.1 m from the pivot. Expected values
/// are the datasheet raw codes of the physics, converted back the way the binding does (float, g = 9.807).
/// </summary>
[Trait("Category", "HIL")]
public sealed class Mpu6050DriverTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedBuses _buses = new();
    private EmulatedMpu6050 _imu;

    public Mpu6050DriverTests()
    {
        _plant = Plants.Create(_clock);
        _imu = Emulate(noise: false);
    }

    public void Dispose() => _buses.Dispose();

    private EmulatedMpu6050 Emulate(bool noise)
    {
        var options = new EmulatedMpu6050Options { Timing = EmulatedBusTiming.Instant };
        if (!noise) options = options with { AccelNoiseStd = 0, GyroNoiseStd = 0 };
        _imu = new EmulatedMpu6050(_plant, _clock, options);
        _buses.Add(_imu);
        return _imu;
    }

    private Mpu6050Driver Open(params (string, object)[] settings)
    {
        var driver = new Mpu6050Driver(TestDevices.Describe("mpu6050", settings), _buses, _clock);
        driver.Open();
        return driver;
    }

    private static double[] Read(Mpu6050Driver driver)
    {
        var readings = new double[6];
        driver.Read(readings);
        return readings;
    }

    private static double Accel(int raw, int rangeG) => raw * (rangeG * 9.807f / 32768f);

    private static double Gyro(int raw, int rangeDps) => raw * (rangeDps / 32768f) * (Math.PI / 180);

    [Fact]
    public void Open_wakes_the_chip_and_sets_the_ranges()
    {
        using var driver = Open();
        Assert.Equal(0x01, _imu.Register(0x6B)); // awake, PLL clock
        Assert.Equal(0x18, _imu.Register(0x1C)); // ±16 g (default)
        Assert.Equal(0x18, _imu.Register(0x1B)); // ±2000 °/s (default)
        Assert.Equal(["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"], driver.Inputs);
        Assert.False(driver.MayBlock);
    }

    [Fact]
    public void Hanging_at_rest_it_reads_minus_one_g_along_the_arm()
    {
        using var driver = Open(("accel_range_g", 2), ("gyro_range_dps", 250));
        var r = Read(driver);
        Assert.Equal(Accel(-16390, 2), r[0], 5); // −9.81 / 9.80665 · 16384 = −16389.6
        Assert.Equal([0.0, 0, 0, 0, 0], r[1..]);
    }

    [Fact]
    public void Horizontal_and_released_it_reads_the_tangential_acceleration()
    {
        _plant.SetState(Math.PI / 2, 0);
        using var driver = Open(("accel_range_g", 2), ("gyro_range_dps", 250));
        var r = Read(driver);
        // α = (τ_g − τ_c)/J = (0.3924 − 0.01)/0.0089 = 42.97 rad/s²; accel_y = r·α − g = 4.297 − 9.81 = −5.513 m/s²
        Assert.Equal(0, r[0], 5);
        Assert.Equal(Accel(-9211, 2), r[1], 5); // −5.5134 / 9.80665 · 16384 = −9211.2
    }

    [Theory]
    [InlineData(2, 250, -17058, -225, 15011)]
    [InlineData(16, 2000, -2132, -28, 1879)]
    public void Swinging_it_reads_centripetal_acceleration_and_the_rotation_rate(int rangeG, int rangeDps, int rawX, int rawY, int rawGz)
    {
        // θ = π, ω = 2 rad/s: accel_x = −r·ω² − g = −0.4 − 9.81 = −10.21 m/s²;
        // α = (−b·ω − τ_c)/J = (−0.002 − 0.01)/0.0089 = −1.348 rad/s², accel_y = r·α = −0.1348 m/s²;
        // gyro_z = 2 rad/s = 114.59 °/s → · 131 = 15011.5 LSB at ±250 °/s, · 16.4 = 1879.3 at ±2000 °/s.
        _plant.SetState(Math.PI, 2.0);
        using var driver = Open(("accel_range_g", rangeG), ("gyro_range_dps", rangeDps));
        var r = Read(driver);
        Assert.Equal(Accel(rawX, rangeG), r[0], 5);
        Assert.Equal(Accel(rawY, rangeG), r[1], 5);
        Assert.Equal(0, r[2]);
        Assert.Equal((0.0, 0.0), (r[3], r[4]));
        Assert.Equal(Gyro(rawGz, rangeDps), r[5], 6);
        Assert.Equal(2.0, r[5], 2); // the binding's 1/131.072 scale vs the chip's 131: 0.06 % low
    }

    [Fact]
    public void A_wrong_identity_is_a_permanent_error_at_open()
    {
        _imu.WhoAmI = 0x70;
        var driver = new Mpu6050Driver(TestDevices.Describe("mpu6050"), _buses, _clock);
        var error = Assert.Throws<DeviceException>(driver.Open);
        Assert.Equal("device 'dut': WHO_AM_I at 0x68 on I2C bus 1 reads 0x70, expected 0x68: not an MPU-6050 (an MPU-6500/9250 answers 0x70/0x71)", error.Message);
    }

    [Fact]
    public void An_absent_chip_is_a_permanent_error_at_open()
    {
        _imu.Faults.Nack = true;
        var driver = new Mpu6050Driver(TestDevices.Describe("mpu6050"), _buses, _clock);
        var error = Assert.Throws<DeviceException>(driver.Open);
        Assert.StartsWith("device 'dut': no MPU-6050 answers at 0x68 on I2C bus 1: I2C transfer to 0x68 on bus 1 failed", error.Message);
    }

    [Fact]
    public void Garbage_at_open_fails_the_identity_check()
    {
        _imu.Faults.Garbage = true;
        var driver = new Mpu6050Driver(TestDevices.Describe("mpu6050"), _buses, _clock);
        Assert.Contains("reads 0xff", Assert.Throws<DeviceException>(driver.Open).Message);
    }

    [Fact]
    public void A_nack_while_reading_is_transient()
    {
        using var driver = Open();
        _imu.Faults.NackNext(1);
        var error = Assert.Throws<IOException>(() => Read(driver));
        Assert.IsNotAssignableFrom<DeviceException>(error);
        Assert.Equal(Accel(-2049, 16), Read(driver)[0], 5);
    }

    [Fact]
    public void Every_axis_reading_0xffff_is_flagged()
    {
        using var driver = Open();
        _imu.Faults.Garbage = true;
        var error = Assert.Throws<DeviceProtocolException>(() => Read(driver));
        Assert.Contains("every axis reads the same value", error.Message);
        _imu.Faults.Garbage = false;
        Read(driver);
    }

    [Fact]
    public void A_chip_reset_behind_the_drivers_back_is_flagged()
    {
        using var driver = Open();
        Read(driver);
        _imu.Write([0x6B, 0x80]); // brown-out: registers back to power-on, asleep, outputs zero
        Assert.Throws<DeviceProtocolException>(() => Read(driver));
    }

    [Fact]
    public void Frozen_registers_are_flagged_after_100_ms_of_identical_readings()
    {
        Emulate(noise: true);
        using var driver = Open();
        for (var i = 0; i < 20; i++)
        {
            _clock.Advance(0.01);
            Read(driver); // noise: every sample differs
        }
        _imu.Faults.Frozen = true;
        for (var i = 0; i < 9; i++)
        {
            _clock.Advance(0.01);
            Read(driver); // up to 90 ms unchanged: still accepted
        }
        _clock.Advance(0.01);
        var error = Assert.Throws<DeviceProtocolException>(() => Read(driver));
        Assert.Contains("readings unchanged for 100 ms over 11 reads", error.Message);
        _imu.Faults.Frozen = false;
        _clock.Advance(0.01);
        Read(driver);
    }

    [Fact]
    public void A_latency_spike_delays_the_read_without_failing_it()
    {
        using var driver = Open();
        _imu.Faults.AddLatency(TimeSpan.FromMilliseconds(20));
        var before = _clock.NowNanoseconds;
        Assert.Equal(Accel(-2049, 16), Read(driver)[0], 5);
        Assert.Equal(20_000_000, _clock.NowNanoseconds - before);
    }

    [Theory]
    [InlineData("accel_range_g", 3, "device 'dut': accel_range_g must be 2, 4, 8 or 16, not 3")]
    [InlineData("gyro_range_dps", 300, "device 'dut': gyro_range_dps must be 250, 500, 1000 or 2000, not 300")]
    public void Ranges_the_chip_does_not_have_are_refused(string setting, int value, string message)
    {
        var error = Assert.Throws<DeviceException>(() => new Mpu6050Driver(TestDevices.Describe("mpu6050", (setting, value)), _buses));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void The_catalog_builds_this_driver_with_the_channels_it_declares()
    {
        var description = TestDevices.Describe("mpu6050");
        var type = DeviceCatalog.Types[description.Type];
        using var device = type.Create(description, _buses);
        Assert.IsType<Mpu6050Driver>(device);
        Assert.Equal(type.Inputs(description.Settings), device.Inputs);
        Assert.Equal(type.Outputs(description.Settings), device.Outputs);
    }
}
