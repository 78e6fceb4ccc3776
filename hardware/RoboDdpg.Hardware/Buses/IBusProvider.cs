using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Hardware.Buses;

/// <summary>
/// Where drivers get their buses: the real Linux devices (<see cref="LinuxBusProvider"/>) or emulated ones for
/// hardware-in-the-loop runs. Drivers never open <c>/dev</c> themselves, so the same driver code runs in both.
/// </summary>
public interface IBusProvider
{
    /// <summary>An I2C device at <paramref name="address"/> on bus <paramref name="busId"/> (/dev/i2c-N).</summary>
    I2cDevice OpenI2c(int busId, int address);

    /// <summary>The GPIO controller shared by all devices (pins are opened by the drivers).</summary>
    GpioController Gpio { get; }

    /// <summary>A hardware PWM channel (/sys/class/pwm/pwmchipN/pwmM).</summary>
    PwmChannel OpenPwm(int chip, int channel, int frequencyHz);

    /// <summary>The path <see cref="System.IO.Ports.SerialPort"/> should open for the description's port name.</summary>
    string ResolveSerialPort(string port);

    /// <summary>
    /// The time base of these buses: drivers timestamp readings with it (encoder speed, stuck-sensor checks), so that
    /// emulated devices on a fake clock see the same time as their physics.
    /// </summary>
    IMonotonicClock Clock => MonotonicClock.Instance;
}
