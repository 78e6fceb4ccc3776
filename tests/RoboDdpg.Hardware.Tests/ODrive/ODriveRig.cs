using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.ODrive;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.ODrive;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.ODrive;

/// <summary>
/// A bus provider with only a serial port: every port name resolves to whatever <paramref name="slavePath"/> says at
/// that moment (the emulator's current pseudo-terminal), as a composition for emulated runs would do.
/// </summary>
internal sealed class SerialOnlyBuses(Func<string> slavePath) : IBusProvider
{
    public int Resolutions { get; private set; }

    public string ResolveSerialPort(string port)
    {
        Resolutions++;
        var path = slavePath();
        if (!File.Exists(path)) throw new BusUnavailableException($"serial port {path} does not exist");
        return path;
    }

    public I2cDevice OpenI2c(int busId, int address) => throw new NotSupportedException("no I2C in this rig");

    public GpioController Gpio => throw new NotSupportedException("no GPIO in this rig");

    public PwmChannel OpenPwm(int chip, int channel, int frequencyHz) => throw new NotSupportedException("no PWM in this rig");
}

/// <summary>
/// The real ODrive driver on an emulated ODrive over a pseudo-terminal, driving a motor pendulum on a fake clock (the
/// test decides how much physics happens between exchanges; serial timeouts stay in real time).
/// </summary>
internal sealed class ODriveRig : IDisposable
{
    /// <summary>An arm swinging in a horizontal plane without friction: only the motor's torque accelerates it.</summary>
    public static readonly MotorPendulumParameters FrictionlessHorizontal = new()
    {
        Gravity = 0,
        CoulombFriction = 0,
        ViscousFriction = 0,
    };

    public ODriveRig(
        MotorPendulumParameters? parameters = null,
        ODriveSettings? settings = null,
        double initialTheta = Math.PI,
        IMonotonicClock? clock = null,
        EmulatedODriveOptions? options = null)
    {
        Clock = clock ?? new FakeClock();
        Plant = new MotorPendulumPlant(parameters ?? new MotorPendulumParameters(), Clock, initialTheta);
        Emulator = new EmulatedODrive(Plant, options);
        Buses = new SerialOnlyBuses(() => Emulator.SlavePath);
        // Generous timeout: test machines are shared and loaded; tests of timeouts use faults far longer than theirs.
        Settings = settings ?? new ODriveSettings("ttyACM0", TimeoutMilliseconds: 1000, GearRatio: Plant.Parameters.GearRatio);
        Driver = new ODriveMotorDriver("arm_drive", Settings, Buses);
    }

    public IMonotonicClock Clock { get; }

    public FakeClock FakeClock => (FakeClock)Clock;

    public MotorPendulumPlant Plant { get; }

    public EmulatedODrive Emulator { get; }

    public SerialOnlyBuses Buses { get; }

    public ODriveSettings Settings { get; }

    public ODriveMotorDriver Driver { get; }

    /// <summary>Reads position (rad) and velocity (rad/s) through the driver.</summary>
    public (double Position, double Velocity) Read()
    {
        Span<double> readings = stackalloc double[2];
        Driver.Read(readings);
        return (readings[0], readings[1]);
    }

    /// <summary>
    /// Commands through the driver and waits until the emulator has executed the command: <c>c</c>/<c>v</c> get no
    /// answer, so only the emulator's counters tell when the command has taken effect (before the test moves time on).
    /// </summary>
    public void Write(double command)
    {
        var before = Commands();
        Driver.Write([command]);
        WaitUntil(() => Commands() > before, "the emulator executed the command");

        long Commands()
        {
            var counts = Emulator.Counts;
            return counts.Torque + counts.Velocity;
        }
    }

    /// <summary>What the driver should report as position now: the plant's angle from the encoder's power-on zero.</summary>
    public double ExpectedPosition() => Plant.Sample().Theta - Emulator.EncoderZero;

    public void Advance(double seconds) => FakeClock.Advance((long)Math.Round(seconds * 1e9));

    /// <summary>Polls <paramref name="condition"/> for up to 5 s (never hangs a test).</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"timed out waiting until {what}");
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        Driver.Dispose();
        Emulator.Dispose();
        Assert.Null(Emulator.LastError);
    }
}
