using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Hardware.Buses;

namespace RoboDdpg.Hardware.Tests.Support;

/// <summary>
/// A bus provider over emulated devices for driver tests: I2C devices by (bus, address), one emulated GPIO chip and
/// PWM channels by (chip, channel). Anything not registered is absent, as on a board without it.
/// </summary>
internal sealed class EmulatedBuses : IBusProvider, IDisposable
{
    private readonly Dictionary<(int Bus, int Address), I2cDevice> _i2c = [];
    private readonly Dictionary<(int Chip, int Channel), PwmChannel> _pwm = [];

    public EmulatedBuses()
    {
        GpioDriver = new EmulatedGpioDriver();
        Gpio = new GpioController(GpioDriver);
    }

    public EmulatedGpioDriver GpioDriver { get; }

    public GpioController Gpio { get; }

    public EmulatedBuses Add(I2cDevice device)
    {
        _i2c[(device.ConnectionSettings.BusId, device.ConnectionSettings.DeviceAddress)] = device;
        return this;
    }

    public EmulatedBuses Add(int chip, int channel, PwmChannel pwm)
    {
        _pwm[(chip, channel)] = pwm;
        return this;
    }

    public I2cDevice OpenI2c(int busId, int address) =>
        _i2c.TryGetValue((busId, address), out var device)
            ? device
            : throw new BusUnavailableException($"no device at 0x{address:x2} on emulated I2C bus {busId}");

    public PwmChannel OpenPwm(int chip, int channel, int frequencyHz)
    {
        if (!_pwm.TryGetValue((chip, channel), out var pwm))
            throw new BusUnavailableException($"emulated PWM chip {chip} has no channel {channel}");
        pwm.Frequency = frequencyHz;
        return pwm;
    }

    public string ResolveSerialPort(string port) => throw new BusUnavailableException($"no emulated serial port {port}");

    public void Dispose() => Gpio.Dispose();
}
