using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.ODrive;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Sim;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hil;

/// <summary>
/// The buses of a described robot, emulated: every device in the description gets a register- or byte-level emulator
/// at its bus/address/pins/port, all driven by one physics plant built from the description's <c>emulation</c> twin.
/// The real drivers then run unchanged against it (hardware-in-the-loop).
/// </summary>
public sealed class EmulatedRobot : IBusProvider, IDisposable
{
    private readonly Dictionary<(int Bus, int Address), I2cDevice> _i2c = [];
    private readonly Dictionary<(int Chip, int Channel), PwmChannel> _pwm = [];
    private readonly Dictionary<string, EmulatedODrive> _serial = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _owned = [];
    private GpioController? _gpio = null;

    private EmulatedRobot(MotorPendulumPlant plant) => Plant = plant;

    /// <summary>The physics every emulated device reads and drives.</summary>
    public MotorPendulumPlant Plant { get; }

    /// <exception cref="EmulationException">The description has no emulation section, names an unknown twin, or a device without an emulator.</exception>
    public static EmulatedRobot Create(RobotDescription description, IMonotonicClock clock)
    {
        var emulation = description.Emulation
                        ?? throw new EmulationException($"{description.SourceFile}: no 'emulation' section: --emulate needs a twin to drive the emulated devices");
        if (emulation.Twin != MotorPendulumEnvironment.Name)
            throw new EmulationException($"{emulation.Location}: emulation twin '{emulation.Twin}' has no device emulation (known: {MotorPendulumEnvironment.Name}; twins: {string.Join(", ", EnvironmentRegistry.Names)})");
        var parameters = emulation.ParametersFile is { } file ? MotorPendulumParameters.Load(file) : new MotorPendulumParameters();
        var robot = new EmulatedRobot(new MotorPendulumPlant(parameters, clock));
        try
        {
            foreach (var device in description.Devices) robot.AddDevice(device, clock);
            return robot;
        }
        catch
        {
            robot.Dispose();
            throw;
        }
    }

    public I2cDevice OpenI2c(int busId, int address) =>
        _i2c.TryGetValue((busId, address), out var device)
            ? device
            : throw new BusUnavailableException($"emulated I2C bus {busId}: nothing answers at 0x{address:x2}");

    public GpioController Gpio => _gpio ?? throw new BusUnavailableException("emulated robot has no GPIO devices");

    public PwmChannel OpenPwm(int chip, int channel, int frequencyHz) =>
        _pwm.TryGetValue((chip, channel), out var pwm)
            ? pwm
            : throw new BusUnavailableException($"emulated PWM chip {chip} channel {channel} is not wired");

    // Resolved on every (re)open: after a simulated disconnect the pseudo-terminal has a new path.
    public string ResolveSerialPort(string port) =>
        _serial.TryGetValue(port, out var odrive)
            ? odrive.SlavePath
            : throw new BusUnavailableException($"emulated serial port {port} is not wired");

    /// <summary>The emulated ODrive behind a described serial port (fault injection, counters).</summary>
    public EmulatedODrive ODrive(string port) => _serial[port];

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        _gpio?.Dispose();
    }

    private void AddDevice(DeviceDescription device, IMonotonicClock clock)
    {
        var settings = device.Settings;
        switch (device.Type)
        {
            case "odrive":
                var odrive = new EmulatedODrive(Plant, new EmulatedODriveOptions
                {
                    Axis = settings.GetInt("axis"),
                    GearRatio = settings.GetDouble("gear_ratio"),
                });
                _owned.Add(odrive);
                _serial[settings.GetString("port")] = odrive;
                break;
            default:
                throw new EmulationException($"{device.Location}: device '{device.Name}' of type {device.Type} has no emulator");
        }
    }
}
