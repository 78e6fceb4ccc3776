using Iot.Device.MotorHat;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.HBridge;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Pca9685;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.Pca9685Motor;
using RoboDdpg.Hardware.Tests.Support;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.Pca9685Motor;

/// <summary>The real driver (dotnet/iot Pca9685 + DCMotor) against the emulated PCA9685 on an emulated motor HAT.</summary>
[Trait("Category", "HIL")]
public sealed class Pca9685MotorDriverTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedPca9685 _chip;
    private readonly EmulatedMotorHat _hat;
    private readonly EmulatedBuses _buses = new();

    public Pca9685MotorDriverTests()
    {
        _plant = Plants.Create(_clock, Math.PI / 2);
        _chip = new EmulatedPca9685(_clock, timing: EmulatedBusTiming.Instant);
        _hat = new EmulatedMotorHat(_chip, 1, _plant);
        _buses.Add(_chip);
    }

    public void Dispose()
    {
        _hat.Dispose();
        _buses.Dispose();
    }

    private Pca9685MotorDriver Open(params (string, object)[] settings)
    {
        var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", [("motor", 1), .. settings]), _buses);
        driver.Open();
        return driver;
    }

    [Theory]
    [InlineData(1600, 3)] // round(25e6 / (4096·1600)) − 1 = round(3.81) − 1
    [InlineData(1000, 5)] // round(6.10) − 1
    [InlineData(50, 121)] // round(122.07) − 1
    public void Open_sets_the_prescale_for_the_frequency_and_wakes_the_chip(double hz, int prescale)
    {
        using var driver = Open(("pwm_frequency", hz));
        Assert.Equal(prescale, _chip.Register(0xFE));
        Assert.Equal(0x21, _chip.Register(0x00)); // AI | ALLCALL, SLEEP cleared
        Assert.Equal(0x04, _chip.Register(0x01)); // OUTDRV
        Assert.Equal(BridgeOutput.Coast, _hat.Output);
    }

    [Fact]
    public void Duty_becomes_12_bit_counts_on_the_pwm_channel_and_full_on_or_off_direction_channels()
    {
        using var driver = Open();
        Assert.Equal(new MotorPins(8, 9, 10), driver.Channels);

        driver.Write([0.3]);
        Assert.Equal(0, _chip.OnCount(8));
        Assert.Equal(1229, _chip.OffCount(8)); // round(0.3 · 4096)
        Assert.Equal((0xCD, 0x04), (_chip.Register(0x06 + 4 * 8 + 2), _chip.Register(0x06 + 4 * 8 + 3)));
        Assert.Equal((0x1000, 0), (_chip.OnCount(9), _chip.OffCount(9))); // IN1 full on
        Assert.Equal((0, 0x1000), (_chip.OnCount(10), _chip.OffCount(10))); // IN2 full off
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 1229 / 4096.0), _hat.Output);

        driver.Write([-0.75]);
        Assert.Equal(3072, _chip.OffCount(8));
        Assert.Equal((0, 0x1000), (_chip.OnCount(9), _chip.OffCount(9)));
        Assert.Equal((0x1000, 0), (_chip.OnCount(10), _chip.OffCount(10)));
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, -0.75), _hat.Output);

        driver.Write([1.0]);
        Assert.Equal((0x1000, 0), (_chip.OnCount(8), _chip.OffCount(8))); // full on, not 4096 counts
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 1.0), _hat.Output);

        driver.Write([0.0]); // duty 0 brakes (default brake_at_zero): PWM off, both direction inputs high
        Assert.Equal(0x1000, _chip.OffCount(8));
        Assert.Equal((0x1000, 0), (_chip.OnCount(9), _chip.OffCount(9)));
        Assert.Equal((0x1000, 0), (_chip.OnCount(10), _chip.OffCount(10)));
        Assert.Equal(new BridgeOutput(BridgeDrive.Brake, 0), _hat.Output);
    }

    [Fact]
    public void Without_brake_at_zero_duty_0_lets_the_motor_coast()
    {
        using var driver = Open(("brake_at_zero", false));
        driver.Write([0.5]);
        driver.Write([0.0]); // both direction inputs low: the TB6612 outputs are off
        foreach (var channel in new[] { 8, 9, 10 }) Assert.Equal(0x1000, _chip.OffCount(channel));
        Assert.Equal(BridgeOutput.Coast, _hat.Output);
    }

    [Fact]
    public void Invert_swaps_the_direction_channels()
    {
        using var driver = Open(("invert", true));
        driver.Write([0.5]);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, -0.5), _hat.Output);
        Assert.Equal(0x1000, _chip.OnCount(10));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Every_terminal_uses_the_channels_the_hat_wires(int motor)
    {
        using var hat = new EmulatedMotorHat(_chip, motor, _plant);
        using var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", ("motor", motor)), _buses);
        driver.Open();
        Assert.Equal(new MotorPins(hat.PwmChannel, hat.In1Channel, hat.In2Channel), driver.Channels);
        driver.Write([-0.25]);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, -0.25), hat.Output);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    public void The_plant_answers_the_command_as_the_motor_model_does(double duty)
    {
        // From rest at θ = π/2 (arm horizontal, gravity pulling towards +θ).
        using var driver = Open();
        driver.Write([duty]);
        _clock.Advance(0.01);
        var sample = _plant.Sample();

        var p = new MotorPendulumParameters();
        var reference = new MotorPendulumDynamics(p);
        reference.SetState(Math.PI / 2, 0, 0);
        reference.Integrate(duty * p.SupplyVoltage, 0.01, p.IntegrationSubsteps); // duty 0 brakes: terminals shorted, as in the twin
        Assert.Equal(reference.Omega, sample.Omega, 12);
        Assert.Equal(reference.Theta, sample.Theta, 12);

        // Signs by hand: the motor (≈ 3.6 N·m stall) beats gravity (0.39 N·m) either way; braked, gravity still wins
        // but the shorted motor's back-EMF damping (N²·Kt·Ke/R = 0.18 N·m·s) holds the fall below the coasting 0.43 rad/s.
        if (duty > 0) Assert.True(sample.Omega > 3.0, $"ω = {sample.Omega}");
        else if (duty < 0) Assert.True(sample.Omega < -2.0, $"ω = {sample.Omega}");
        else Assert.InRange(sample.Omega, 0.3, 0.43);
    }

    [Fact]
    public void Stop_writes_every_channel_off_and_confirms_by_reading_back()
    {
        using var driver = Open();
        driver.Write([0.8]);
        Assert.True(driver.Stop());
        foreach (var channel in new[] { 8, 9, 10 }) Assert.Equal(0, _chip.ChannelDuty(channel));
        Assert.Equal(BridgeOutput.Coast, _hat.Output);
    }

    [Fact]
    public void Open_leaves_the_motor_at_rest_even_if_a_previous_run_left_it_driving()
    {
        _chip.Write([0x00, 0x21]);
        _chip.Write([0x06 + 4 * 8, 0x00, 0x00, 0x00, 0x08]); // PWM 50 %
        _chip.Write([0x06 + 4 * 9, 0x00, 0x10, 0x00, 0x00]); // IN1 on
        Assert.Equal(BridgeDrive.Drive, _hat.Output.Drive);
        using var driver = Open();
        Assert.Equal(BridgeOutput.Coast, _hat.Output);
        Assert.Equal(0, _chip.ChannelDuty(8));
    }

    [Fact]
    public void A_nack_during_write_is_a_transient_io_error_and_the_retry_goes_through()
    {
        using var driver = Open();
        _chip.Faults.NackNext(1);
        var error = Assert.Throws<IOException>(() => driver.Write([0.5]));
        Assert.IsNotAssignableFrom<DeviceException>(error);
        driver.Write([0.5]);
        Assert.Equal(2048, _chip.OffCount(8));
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.5), _hat.Output);
        Assert.Equal(1, _chip.Faults.NacksDelivered);
    }

    [Fact]
    public void An_absent_chip_is_a_permanent_error_at_open()
    {
        _chip.Faults.Nack = true;
        var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", ("motor", 1)), _buses);
        var error = Assert.Throws<DeviceException>(driver.Open);
        Assert.Contains("0x60 on I2C bus 1", error.Message);
        Assert.False(driver.Stop());
    }

    [Fact]
    public void A_missing_bus_is_a_permanent_error_naming_the_device()
    {
        var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", ("motor", 1), ("bus", 3)), _buses);
        var error = Assert.Throws<DeviceException>(driver.Open);
        Assert.StartsWith("device 'dut': no device at 0x60 on emulated I2C bus 3", error.Message);
    }

    [Fact]
    public void Garbage_reads_at_open_fail_the_identity_probe()
    {
        _chip.Faults.Garbage = true;
        var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", ("motor", 1)), _buses);
        Assert.Throws<DeviceException>(driver.Open);
    }

    [Fact]
    public void A_frozen_chip_keeps_driving_unnoticed_by_write_but_stop_reports_failure()
    {
        using var driver = Open();
        driver.Write([0.5]);
        _chip.Faults.Frozen = true;
        driver.Write([-0.5]); // acknowledged, ignored: the write path cannot tell
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.5), _hat.Output);
        Assert.False(driver.Stop());
        Assert.Equal("PCA9685 channel 8 reads back duty 0.5 after writing 0: the chip ignores writes", driver.LastStopProblem);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.5), _hat.Output);
        _chip.Faults.Frozen = false;
        Assert.True(driver.Stop());
        Assert.Null(driver.LastStopProblem);
        Assert.Equal(BridgeOutput.Coast, _hat.Output);
    }

    [Fact]
    public void Stop_reports_failure_on_garbage_reads_instead_of_throwing()
    {
        using var driver = Open();
        driver.Write([0.5]);
        _chip.Faults.Garbage = true;
        Assert.False(driver.Stop());
        _chip.Faults.Nack = true;
        Assert.False(driver.Stop());
    }

    [Fact]
    public void A_latency_spike_delays_the_write_without_failing_it()
    {
        using var driver = Open();
        _chip.Faults.AddLatency(TimeSpan.FromMilliseconds(5), transactions: 2);
        var before = _clock.NowNanoseconds;
        driver.Write([0.25]);
        Assert.Equal(10_000_000, _clock.NowNanoseconds - before); // two delayed transactions, bus time otherwise 0
        Assert.Equal(1024, _chip.OffCount(8));
        Assert.Equal(2, _chip.Faults.LatencySpikesDelivered);
    }

    [Fact]
    public void The_catalog_builds_this_driver_with_the_channels_it_declares()
    {
        var description = TestDevices.Describe("pca9685-dc-motor", ("motor", 1));
        var type = DeviceCatalog.Types[description.Type];
        using var device = type.Create(description, _buses);
        Assert.IsType<Pca9685MotorDriver>(device);
        Assert.Equal(type.Inputs(description.Settings), device.Inputs);
        Assert.Equal(type.Outputs(description.Settings), device.Outputs);
    }
}
