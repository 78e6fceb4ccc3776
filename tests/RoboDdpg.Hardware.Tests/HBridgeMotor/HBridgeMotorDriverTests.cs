using System.Device.Gpio;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.HBridge;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.HBridgeMotor;
using RoboDdpg.Hardware.Tests.Support;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.HBridgeMotor;

/// <summary>The real driver (dotnet/iot DCMotor, three-pin) against an emulated PWM channel, GPIO pins and TB6612 bridge.</summary>
[Trait("Category", "HIL")]
public sealed class HBridgeMotorDriverTests : IDisposable
{
    private const int In1 = 23, In2 = 24;
    private readonly FakeClock _clock = new();
    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedBuses _buses = new();
    private readonly EmulatedPwmChannel _pwm = new(chip: 0, channel: 1); // Linux default: 400 Hz, 50 %, not started
    private readonly EmulatedHBridge _bridge;

    public HBridgeMotorDriverTests()
    {
        _plant = Plants.Create(_clock, Math.PI / 2);
        _buses.Add(0, 1, _pwm);
        _bridge = new EmulatedHBridge(_plant, _buses.GpioDriver, In1, In2, _pwm);
    }

    public void Dispose()
    {
        _bridge.Dispose();
        _buses.Dispose();
    }

    private HBridgeMotorDriver Open(params (string, object)[] settings)
    {
        var driver = new HBridgeMotorDriver(
            TestDevices.Describe("hbridge-dc-motor", [("pwm_channel", 1), ("in1_pin", In1), ("in2_pin", In2), .. settings]), _buses);
        driver.Open();
        return driver;
    }

    private (PinValue In1, PinValue In2) Pins => (_buses.GpioDriver.LevelOf(In1), _buses.GpioDriver.LevelOf(In2));

    [Fact]
    public void Open_runs_the_pwm_at_zero_duty_with_both_inputs_low()
    {
        using var driver = Open(("pwm_frequency", 25000.0));
        Assert.Equal(25000, _pwm.Frequency);
        Assert.True(_pwm.Running);
        Assert.Equal(0, _pwm.DutyCycle);
        Assert.Equal((PinValue.Low, PinValue.Low), Pins);
        Assert.Equal(BridgeOutput.Coast, _bridge.Output);
    }

    [Fact]
    public void Duty_sign_picks_the_input_pair_and_magnitude_the_pwm()
    {
        using var driver = Open();
        driver.Write([0.4]);
        Assert.Equal(0.4, _pwm.DutyCycle);
        Assert.Equal((PinValue.Low, PinValue.High), Pins); // the binding's positive: IN2 high
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.4), _bridge.Output);

        driver.Write([-0.25]);
        Assert.Equal(0.25, _pwm.DutyCycle);
        Assert.Equal((PinValue.High, PinValue.Low), Pins);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, -0.25), _bridge.Output);

        driver.Write([0.0]);
        Assert.Equal(0, _pwm.DutyCycle);
        Assert.Equal((PinValue.Low, PinValue.Low), Pins);
        Assert.Equal(BridgeOutput.Coast, _bridge.Output);
    }

    [Fact]
    public void Invert_swaps_the_direction()
    {
        using var driver = Open(("invert", true));
        driver.Write([0.6]);
        Assert.Equal((PinValue.High, PinValue.Low), Pins);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, -0.6), _bridge.Output);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    public void The_plant_answers_the_command_as_the_motor_model_does(double duty)
    {
        using var driver = Open();
        driver.Write([duty]);
        _clock.Advance(0.01);
        var sample = _plant.Sample();
        var p = new MotorPendulumParameters();
        var reference = new MotorPendulumDynamics(p);
        reference.SetState(Math.PI / 2, 0, 0);
        reference.Integrate(duty * p.SupplyVoltage, 0.01, p.IntegrationSubsteps);
        Assert.Equal(reference.Omega, sample.Omega, 12);
        Assert.Equal(Math.Sign(duty), Math.Sign(sample.Omega));
        Assert.Equal(duty * p.SupplyVoltage, sample.Voltage);
    }

    [Fact]
    public void Stop_writes_the_rest_state_and_confirms_it()
    {
        using var driver = Open();
        driver.Write([-0.9]);
        Assert.True(driver.Stop());
        Assert.Equal(0, _pwm.DutyCycle);
        Assert.Equal((PinValue.Low, PinValue.Low), Pins);
        Assert.Equal(BridgeOutput.Coast, _bridge.Output);
    }

    [Fact]
    public void A_failing_pwm_write_is_a_transient_io_error()
    {
        using var driver = Open();
        _pwm.FailWrites = true;
        var error = Assert.Throws<IOException>(() => driver.Write([0.5]));
        Assert.IsNotAssignableFrom<DeviceException>(error);
        Assert.False(driver.Stop());
        _pwm.FailWrites = false;
        driver.Write([0.5]);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.5), _bridge.Output);
    }

    [Fact]
    public void A_failing_direction_pin_is_a_transient_io_error()
    {
        using var driver = Open();
        _buses.GpioDriver.FailPinWrites = true;
        Assert.Throws<IOException>(() => driver.Write([0.5]));
        Assert.Equal(BridgeOutput.Coast, _bridge.Output);
        _buses.GpioDriver.FailPinWrites = false;
        driver.Write([0.5]);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.5), _bridge.Output);
    }

    [Fact]
    public void A_frozen_pwm_is_noticed_by_stop()
    {
        using var driver = Open();
        driver.Write([0.7]);
        _pwm.Frozen = true;
        Assert.False(driver.Stop()); // the pins went low (coast), but the PWM still reads 0.7
        Assert.Equal("reads back PWM duty 0.7, IN1 Low, IN2 Low after writing the rest state", driver.LastStopProblem);
        Assert.Equal(0.7, _pwm.DutyCycle);
        _pwm.Frozen = false;
        Assert.True(driver.Stop());
    }

    [Fact]
    public void An_absent_pwm_chip_is_a_permanent_error()
    {
        var driver = new HBridgeMotorDriver(
            TestDevices.Describe("hbridge-dc-motor", ("pwm_channel", 2), ("in1_pin", In1), ("in2_pin", In2)), _buses);
        var error = Assert.Throws<DeviceException>(driver.Open);
        Assert.Contains("PWM chip 0 has no channel 2", error.Message);
    }

    [Fact]
    public void The_same_pin_for_both_inputs_is_refused()
    {
        var error = Assert.Throws<DeviceException>(() => new HBridgeMotorDriver(
            TestDevices.Describe("hbridge-dc-motor", ("pwm_channel", 1), ("in1_pin", 5), ("in2_pin", 5)), _buses));
        Assert.Equal("device 'dut': in1_pin and in2_pin are both GPIO 5", error.Message);
    }

    [Fact]
    public void Reopening_releases_and_takes_the_pins_again()
    {
        var driver = Open();
        driver.Write([0.3]);
        driver.Dispose();
        Assert.False(_buses.Gpio.IsPinOpen(In1));
        using var again = Open();
        again.Write([0.3]);
        Assert.Equal(new BridgeOutput(BridgeDrive.Drive, 0.3), _bridge.Output);
    }

    [Fact]
    public void The_catalog_builds_this_driver_with_the_channels_it_declares()
    {
        var description = TestDevices.Describe("hbridge-dc-motor", ("pwm_channel", 1), ("in1_pin", In1), ("in2_pin", In2));
        var type = DeviceCatalog.Types[description.Type];
        using var device = type.Create(description, _buses);
        Assert.IsType<HBridgeMotorDriver>(device);
        Assert.Equal(type.Inputs(description.Settings), device.Inputs);
        Assert.Equal(type.Outputs(description.Settings), device.Outputs);
    }
}
