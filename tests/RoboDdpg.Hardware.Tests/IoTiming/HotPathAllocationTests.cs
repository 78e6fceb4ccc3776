using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Ads1115;
using RoboDdpg.Emulation.HBridge;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Mpu6050;
using RoboDdpg.Emulation.Pca9685;
using RoboDdpg.Hardware.Ads1115;
using RoboDdpg.Hardware.HBridgeMotor;
using RoboDdpg.Hardware.Mpu6050;
using RoboDdpg.Hardware.Pca9685Motor;
using RoboDdpg.Hardware.QuadratureEncoder;
using RoboDdpg.Hardware.Tests.Support;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.IoTiming;

/// <summary>
/// Per-tick Read/Write allocate nothing (house rule for hot paths), including what the bindings and the emulators do
/// underneath and, for the encoder, the edge callbacks. Direction reversals are excluded: they go through
/// <c>GpioController.Write</c>, which stores every value in a concurrent dictionary.
/// </summary>
[Trait("Category", "HIL")]
public sealed class HotPathAllocationTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly EmulatedBuses _buses = new();

    public void Dispose() => _buses.Dispose();

    private static long AllocatedBy(int ticks, Action<int> tick)
    {
        for (var i = 0; i < 50; i++) tick(i);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 50; i < 50 + ticks; i++) tick(i);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Pca9685_motor_write()
    {
        var plant = Plants.Create(_clock);
        var chip = new EmulatedPca9685(_clock, timing: EmulatedBusTiming.Instant);
        using var hat = new EmulatedMotorHat(chip, 1, plant);
        using var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", ("motor", 1)), _buses.Add(chip));
        driver.Open();
        var command = new double[1];
        Assert.Equal(0, AllocatedBy(200, i =>
        {
            command[0] = 0.2 + 0.001 * (i % 100);
            driver.Write(command);
        }));
    }

    [Fact]
    public void HBridge_motor_write()
    {
        var plant = Plants.Create(_clock);
        var pwm = new EmulatedPwmChannel(0, 0);
        using var bridge = new EmulatedHBridge(plant, _buses.GpioDriver, 5, 6, pwm);
        using var driver = new HBridgeMotorDriver(
            TestDevices.Describe("hbridge-dc-motor", ("pwm_channel", 0), ("in1_pin", 5), ("in2_pin", 6)), _buses.Add(0, 0, pwm));
        driver.Open();
        var command = new double[1];
        Assert.Equal(0, AllocatedBy(200, i =>
        {
            command[0] = -0.2 - 0.001 * (i % 100);
            driver.Write(command);
        }));
    }

    [Fact]
    public void Quadrature_encoder_read_and_edge_callbacks()
    {
        var plant = Plants.Create(_clock, 1.0, new MotorPendulumParameters { Gravity = 0 });
        _buses.GpioDriver.AttachEncoder(plant, 17, 27, 2048);
        using var driver = new QuadratureEncoderDriver(
            TestDevices.Describe("quadrature-encoder", ("pin_a", 17), ("pin_b", 27), ("counts_per_revolution", 2048)), _buses, _clock);
        driver.Open();
        var readings = new double[2];
        Assert.Equal(0, AllocatedBy(200, i =>
        {
            plant.SetState(1.0 + 0.01 * i, 0); // ≈ 3 counts per tick: 3 edges through the callbacks
            _clock.Advance(1_000_000);
            _buses.GpioDriver.Pump();
            driver.Read(readings);
        }));
        Assert.Equal(0.01 * 249, readings[0], 2); // zero_offset 0: the angle turned since Open
    }

    [Fact]
    public void Mpu6050_read()
    {
        var plant = Plants.Create(_clock);
        var imu = new EmulatedMpu6050(plant, _clock, new EmulatedMpu6050Options { Timing = EmulatedBusTiming.Instant });
        using var driver = new Mpu6050Driver(TestDevices.Describe("mpu6050"), _buses.Add(imu), _clock);
        driver.Open();
        var readings = new double[6];
        Assert.Equal(0, AllocatedBy(200, _ =>
        {
            _clock.Advance(1_000_000);
            driver.Read(readings);
        }));
    }

    [Fact]
    public void Ads1115_read()
    {
        var plant = Plants.Create(_clock);
        var adc = new EmulatedAds1115(plant, _clock);
        using var driver = new Ads1115Driver(TestDevices.Describe("ads1115", ("inputs", "a0,a1")), _buses.Add(adc));
        driver.Open();
        var readings = new double[2];
        Assert.Equal(0, AllocatedBy(100, _ => driver.Read(readings)));
    }
}
