using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Ads1115;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Emulation.HBridge;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Mpu6050;
using RoboDdpg.Emulation.ODrive;
using RoboDdpg.Emulation.Pca9685;
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
    private readonly Dictionary<string, object> _byName = new(StringComparer.Ordinal);
    private readonly IMonotonicClock _clock;
    private readonly EmulatedBusTiming _busTiming;
    private EmulatedGpioDriver? _gpioDriver;
    private GpioController? _gpio;

    private EmulatedRobot(MotorPendulumPlant plant, IMonotonicClock clock, EmulatedBusTiming busTiming)
    {
        Plant = plant;
        _clock = clock;
        _busTiming = busTiming;
    }

    /// <summary>The physics every emulated device reads and drives.</summary>
    public MotorPendulumPlant Plant { get; }

    /// <exception cref="EmulationException">The description has no emulation section, names an unknown twin, or a device without an emulator.</exception>
    /// <param name="busTiming">How long I2C transactions take: a 400 kHz bus by default; <see cref="EmulatedBusTiming.Instant"/>
    /// makes every device access happen at one instant of a fake clock (deterministic tests).</param>
    public static EmulatedRobot Create(RobotDescription description, IMonotonicClock clock, EmulatedBusTiming? busTiming = null)
    {
        var emulation = description.Emulation
                        ?? throw new EmulationException($"{description.SourceFile}: no 'emulation' section: --emulate needs a twin to drive the emulated devices");
        if (emulation.Twin != MotorPendulumEnvironment.Name)
            throw new EmulationException($"{emulation.Location}: emulation twin '{emulation.Twin}' has no device emulation (known: {MotorPendulumEnvironment.Name}; twins: {string.Join(", ", EnvironmentRegistry.Names)})");
        var parameters = emulation.ParametersFile is { } file ? MotorPendulumParameters.Load(file) : new MotorPendulumParameters();
        var robot = new EmulatedRobot(new MotorPendulumPlant(parameters, clock), clock, busTiming ?? EmulatedBusTiming.FastMode);
        try
        {
            foreach (var device in description.Devices) robot.AddDevice(device);
            robot.Faults = new EmulatedFaultSchedule(emulation.Faults, name => robot._byName[name], clock);
            // Encoder edges follow the plant in real time; with a fake clock the owner pumps them. The fault schedule
            // starts with the run's control loop (Faults.Start).
            if (clock is MonotonicClock) robot._gpioDriver?.StartPumping();
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

    /// <summary>The description's scheduled faults (what was injected and cleared so far).</summary>
    public EmulatedFaultSchedule Faults { get; private set; } = null!;

    /// <summary>The plant's clock: drivers timestamp readings on the same time base as the physics.</summary>
    public IMonotonicClock Clock => _clock;

    /// <summary>The emulator standing in for the described device <paramref name="name"/> (fault injection, inspection).</summary>
    public T Device<T>(string name) where T : class =>
        _byName.TryGetValue(name, out var device) && device is T typed
            ? typed
            : throw new ArgumentException($"no emulated {typeof(T).Name} named '{name}'", nameof(name));

    /// <summary>The emulated GPIO driver (encoder edges, direction pins), if the robot uses GPIO.</summary>
    public EmulatedGpioDriver? GpioDriver => _gpioDriver;

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
        Faults?.Dispose();
        _gpioDriver?.StopPumping();
        for (var i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        _gpio?.Dispose();
        foreach (var device in _i2c.Values) device.Dispose();
    }

    private void AddDevice(DeviceDescription device)
    {
        var settings = device.Settings;
        object emulator;
        switch (device.Type)
        {
            case "pca9685-dc-motor":
            {
                var key = (settings.GetInt("bus"), settings.GetInt("address"));
                if (!_i2c.TryGetValue(key, out var chip))
                {
                    chip = new EmulatedPca9685(_clock, key.Item1, key.Item2, _busTiming);
                    _i2c[key] = chip;
                }
                var hat = new EmulatedMotorHat((EmulatedPca9685)chip, settings.GetInt("motor"), Plant);
                _owned.Add(hat);
                emulator = hat;
                break;
            }
            case "hbridge-dc-motor":
            {
                var key = (settings.GetInt("pwm_chip"), settings.GetInt("pwm_channel"));
                var pwm = new EmulatedPwmChannel(key.Item1, key.Item2);
                _pwm[key] = pwm;
                var bridge = new EmulatedHBridge(Plant, GpioDriverFor(), settings.GetInt("in1_pin"), settings.GetInt("in2_pin"), pwm);
                _owned.Add(bridge);
                emulator = bridge;
                break;
            }
            case "quadrature-encoder":
                emulator = GpioDriverFor().AttachEncoder(Plant, settings.GetInt("pin_a"), settings.GetInt("pin_b"), settings.GetInt("counts_per_revolution"));
                break;
            case "mpu6050":
            {
                var key = (settings.GetInt("bus"), settings.GetInt("address"));
                var imu = new EmulatedMpu6050(Plant, _clock, new EmulatedMpu6050Options { BusId = key.Item1, Address = key.Item2, Timing = _busTiming });
                _i2c[key] = imu;
                emulator = imu;
                break;
            }
            case "ads1115":
            {
                var key = (settings.GetInt("bus"), settings.GetInt("address"));
                var adc = new EmulatedAds1115(Plant, _clock, new EmulatedAds1115Options { BusId = key.Item1, Address = key.Item2, Timing = _busTiming });
                _i2c[key] = adc;
                emulator = adc;
                break;
            }
            case "odrive":
                var odrive = new EmulatedODrive(Plant, new EmulatedODriveOptions
                {
                    Axis = settings.GetInt("axis"),
                    GearRatio = settings.GetDouble("gear_ratio"),
                });
                _owned.Add(odrive);
                _serial[settings.GetString("port")] = odrive;
                emulator = odrive;
                break;
            default:
                throw new EmulationException($"{device.Location}: device '{device.Name}' of type {device.Type} has no emulator");
        }
        _byName[device.Name] = emulator;
    }

    private EmulatedGpioDriver GpioDriverFor()
    {
        if (_gpioDriver is null)
        {
            _gpioDriver = new EmulatedGpioDriver();
            _gpio = new GpioController(_gpioDriver);
        }
        return _gpioDriver;
    }
}
