using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using RoboDdpg.Hardware.Buses;

namespace RoboDdpg.Hardware.Devices;

/// <summary>
/// Opening a driver's buses with the failure stated as this device's permanent problem: an absent bus becomes a
/// <see cref="DeviceException"/> naming the device, with the bus provider's one-line reason.
/// </summary>
internal static class DeviceBuses
{
    public static I2cDevice OpenI2c(string device, IBusProvider buses, int busId, int address)
    {
        try
        {
            return buses.OpenI2c(busId, address);
        }
        catch (BusUnavailableException e)
        {
            throw new DeviceException(device, e.Message, e);
        }
    }

    public static GpioController Gpio(string device, IBusProvider buses)
    {
        try
        {
            return buses.Gpio;
        }
        catch (BusUnavailableException e)
        {
            throw new DeviceException(device, e.Message, e);
        }
    }

    public static PwmChannel OpenPwm(string device, IBusProvider buses, int chip, int channel, int frequencyHz)
    {
        try
        {
            return buses.OpenPwm(chip, channel, frequencyHz);
        }
        catch (BusUnavailableException e)
        {
            throw new DeviceException(device, e.Message, e);
        }
    }

    /// <summary>The I2C address as written in messages, e.g. "0x68 on I2C bus 1".</summary>
    public static string Where(int busId, int address) => $"0x{address:x2} on I2C bus {busId}";
}
