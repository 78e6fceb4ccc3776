using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;

namespace RoboDdpg.Hardware.Buses;

/// <summary>
/// The real buses of a Linux board. Each open first checks that the device node exists, so a missing bus is one
/// clear line ("/dev/i2c-1 does not exist: enable I2C …") instead of an exception deep inside a binding.
/// </summary>
public sealed class LinuxBusProvider : IBusProvider, IDisposable
{
    private readonly string _devRoot;
    private readonly string _sysRoot;
    private GpioController? _gpio;

    /// <param name="devRoot">Where device nodes live (tests point this at a scratch folder).</param>
    /// <param name="sysRoot">Where sysfs lives (PWM chips).</param>
    public LinuxBusProvider(string devRoot = "/dev", string sysRoot = "/sys")
    {
        _devRoot = devRoot;
        _sysRoot = sysRoot;
    }

    public I2cDevice OpenI2c(int busId, int address)
    {
        var node = Path.Combine(_devRoot, $"i2c-{busId}");
        if (!File.Exists(node))
            throw new BusUnavailableException($"I2C bus {busId} is absent ({node} does not exist): enable I2C (raspi-config → Interface Options → I2C) or fix 'bus' in the robot description");
        try
        {
            return I2cDevice.Create(new I2cConnectionSettings(busId, address));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new BusUnavailableException($"cannot open I2C bus {busId} address 0x{address:x2} ({node}): {e.Message}" +
                                              (e is UnauthorizedAccessException ? " (add the user to the 'i2c' group)" : ""), e);
        }
    }

    public GpioController Gpio => _gpio ??= OpenGpio();

    public PwmChannel OpenPwm(int chip, int channel, int frequencyHz)
    {
        var node = Path.Combine(_sysRoot, "class", "pwm", $"pwmchip{chip}");
        if (!Directory.Exists(node))
            throw new BusUnavailableException($"PWM chip {chip} is absent ({node} does not exist): enable it with a dtoverlay (e.g. pwm-2chan) or fix 'pwm_chip' in the robot description");
        try
        {
            return PwmChannel.Create(chip, channel, frequencyHz);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new BusUnavailableException($"cannot open PWM chip {chip} channel {channel}: {e.Message}", e);
        }
    }

    public string ResolveSerialPort(string port)
    {
        var path = port.StartsWith('/') ? port : Path.Combine(_devRoot, port);
        if (!File.Exists(path))
            throw new BusUnavailableException($"serial port {path} does not exist: is the controller plugged in (see 'ls /dev/tty*'), or fix 'port' in the robot description");
        return path;
    }

    public void Dispose() => _gpio?.Dispose();

    private GpioController OpenGpio()
    {
        if (!Directory.EnumerateFileSystemEntries(_devRoot, "gpiochip*").Any())
            throw new BusUnavailableException($"no GPIO chip ({_devRoot}/gpiochip* does not exist): this machine has no GPIO the encoder pins can use");
        try
        {
            return new GpioController();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new BusUnavailableException($"cannot open GPIO: {e.Message} (add the user to the 'gpio' group)", e);
        }
    }
}
