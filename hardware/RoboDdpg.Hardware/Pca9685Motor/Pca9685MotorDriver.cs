using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Pwm;
using Iot.Device.DCMotor;
using Iot.Device.MotorHat;
using Iot.Device.Pwm;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Pca9685Motor;

/// <summary>
/// A brushed DC motor on one terminal (M1..M4) of an Adafruit-style motor HAT: a PCA9685 PWM chip driving TB6612FNG
/// H-bridges. Output "duty" in [−1, 1]: the sign is the direction (positive = the HAT's forward, IN1 high); duty 0
/// brakes (IN1 = IN2 = high, like the twin's duty 0) or, with <c>brake_at_zero: false</c>, coasts (IN1 = IN2 = low).
/// <see cref="Stop"/> always leaves every output off.
/// </summary>
/// <remarks>
/// <para>Built on the dotnet/iot bindings: <see cref="Pca9685"/> over the I2C device from <see cref="IBusProvider"/>
/// (MotorHat cannot be used: it opens its own I2C device from connection settings), channels M1..M4 from
/// <see cref="MotorPinProvider.AdaFruit"/>, and the binding's three-pin <see cref="DCMotor"/>
/// (<c>DCMotor.Create(speed, directionPin, otherDirectionPin, controller)</c>) with the two direction channels
/// exposed as GPIO pins (<see cref="Pca9685LogicPins"/>, behind an <see cref="OutputPinsView"/> so the pins the
/// motor rewrites on every speed change are only sent when they change). That motor's positive speed raises its
/// second pin, so IN1 is passed second, giving the same direction as MotorHat's own motor.</para>
/// <para>Checks: <see cref="Open"/> reads MODE1 and PRE_SCALE back (the chip has no identity register); a mismatch
/// means another chip, or none, answers at the address → <see cref="DeviceException"/>. <see cref="Stop"/> reads the
/// three channels back and reports false unless they are all off (a frozen or absent chip). <see cref="Write"/> does
/// not read back (it would double the bus traffic of every tick): a chip that silently ignores writes is only
/// noticed by <see cref="Stop"/>.</para>
/// <para>Bus cost: a changed duty is 6 I2C transactions (the binding writes each LED register byte-wise and then as a
/// word), a direction change 6 more per pin; no allocation unless the direction changes; ≈ 0.5 ms at 400 kHz, ≈ 2 ms at 100 kHz — hence not <see cref="MayBlock"/>
/// at the usual 100 Hz control rate.</para>
/// </remarks>
public sealed class Pca9685MotorDriver : IRobotDevice
{
    private static readonly string[] OutputNames = ["duty"];

    private readonly IBusProvider _buses;
    private readonly int _busId;
    private readonly int _address;
    private readonly double _frequency;
    private readonly bool _invert;
    private readonly bool _brakeAtZero;
    private I2cDevice? _i2c;
    private Pca9685? _pca;
    private PwmChannel? _speed;
    private GpioController? _directionChannels;
    private OutputPinsView? _directionPins;
    private DCMotor? _motor;

    public Pca9685MotorDriver(DeviceDescription description, IBusProvider buses)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(buses);
        _buses = buses;
        Name = description.Name;
        var s = description.Settings;
        _busId = s.GetInt("bus");
        _address = s.GetInt("address");
        Motor = s.GetInt("motor");
        _frequency = s.GetDouble("pwm_frequency");
        _invert = s.GetBool("invert");
        _brakeAtZero = s.GetBool("brake_at_zero");
        if (Motor is < 1 or > 4) throw new DeviceException(Name, $"motor must be 1..4 (terminal M1..M4), not {Motor}");
        Channels = MotorPinProvider.AdaFruit.GetPinsForMotor(Motor);
    }

    public string Name { get; }

    public IReadOnlyList<string> Inputs => [];

    public IReadOnlyList<string> Outputs => OutputNames;

    public bool MayBlock => false;

    /// <summary>Motor terminal M1..M4.</summary>
    public int Motor { get; }

    /// <summary>The PCA9685 channels of the terminal: PWM (speed), IN1, IN2.</summary>
    public MotorPins Channels { get; }

    public void Open()
    {
        Close();
        _i2c = DeviceBuses.OpenI2c(Name, _buses, _busId, _address);
        try
        {
            _pca = new Pca9685(_i2c, pwmFrequency: _frequency);
            // Every channel of this terminal off before the motor takes them: registers left by a previous run must
            // not move the arm.
            _pca.SetDutyCycle(Channels.SpeedPin, 0);
            _pca.SetDutyCycle(Channels.In1Pin, 0);
            _pca.SetDutyCycle(Channels.In2Pin, 0);
            Probe();
            _speed = _pca.CreatePwmChannel(Channels.SpeedPin);
            _directionChannels = new GpioController(new Pca9685LogicPins(
                Channels.In2Pin, _pca.CreatePwmChannel(Channels.In2Pin), Channels.In1Pin, _pca.CreatePwmChannel(Channels.In1Pin)));
            _directionPins = new OutputPinsView(_directionChannels, Channels.In2Pin, Channels.In1Pin);
            _motor = DCMotor.Create(_speed, Channels.In2Pin, Channels.In1Pin, _directionPins, shouldDispose: false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Close();
            throw new DeviceException(Name, $"PCA9685 at {DeviceBuses.Where(_busId, _address)} does not answer: {e.Message}", e);
        }
    }

    public void Read(Span<double> readings)
    {
    }

    /// <summary>Sets the duty (commands[0] in [−1, 1]; a non-finite value stops).</summary>
    public void Write(ReadOnlySpan<double> commands)
    {
        var motor = _motor ?? throw NotOpen();
        var duty = commands[0];
        duty = double.IsFinite(duty) ? Math.Clamp(duty, -1, 1) : 0;
        motor.Speed = _invert ? -duty : duty;
        if (duty == 0 && _brakeAtZero)
        {
            // TB6612 short brake (IN1 = IN2 = high): the motor's own back-EMF damps the arm, as duty 0 does in the twin.
            _directionPins!.Write(Channels.In1Pin, PinValue.High);
            _directionPins.Write(Channels.In2Pin, PinValue.High);
        }
    }

    /// <summary>Why the last <see cref="Stop"/> could not confirm the rest state; null after a confirmed stop.</summary>
    public string? LastStopProblem { get; private set; }

    public bool Stop()
    {
        if (_motor is null || _pca is null || _speed is null || _directionPins is null)
        {
            LastStopProblem = "not open";
            return false;
        }
        try
        {
            _motor.Speed = 0;
            // Again, whatever the binding believes it already wrote (a chip reset or a failed write may differ).
            _speed.DutyCycle = 0;
            _directionPins.ForceWrite(Channels.In1Pin, PinValue.Low);
            _directionPins.ForceWrite(Channels.In2Pin, PinValue.Low);
            foreach (var channel in (ReadOnlySpan<int>)[Channels.SpeedPin, Channels.In1Pin, Channels.In2Pin])
            {
                var duty = _pca.GetDutyCycle(channel);
                if (duty != 0)
                {
                    LastStopProblem = $"PCA9685 channel {channel} reads back duty {duty:0.###} after writing 0: the chip ignores writes";
                    return false;
                }
            }
            LastStopProblem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            LastStopProblem = e.Message;
            return false;
        }
    }

    public void Dispose()
    {
        Stop();
        Close();
    }

    private void Probe()
    {
        var i2c = _i2c!;
        i2c.WriteByte(0x00);
        var mode1 = i2c.ReadByte();
        i2c.WriteByte(0xFE);
        var prescale = i2c.ReadByte();
        // The binding leaves MODE1 = AI | ALLCALL (awake); RESTART (bit 7) may be set by an earlier run.
        var expectedPrescale = (int)Math.Round(25_000_000 / 4096.0 / _pca!.PwmFrequency - 1);
        if ((mode1 & 0x7F) != 0x21 || prescale != expectedPrescale)
        {
            throw new DeviceException(Name,
                $"the chip at {DeviceBuses.Where(_busId, _address)} reads back MODE1 0x{mode1:x2}, PRE_SCALE {prescale} " +
                $"(a PCA9685 would give 0x21, {expectedPrescale}): not a PCA9685 motor HAT, or a wrong address");
        }
    }

    private void Close()
    {
        _motor?.Dispose(); // disposes the speed channel too
        _motor = null;
        _speed?.Dispose();
        _speed = null;
        _directionPins?.Dispose();
        _directionPins = null;
        _directionChannels?.Dispose(); // disposes the logic pins and their channels
        _directionChannels = null;
        if (_pca is not null) _pca.Dispose(); // disposes the I2C device
        else _i2c?.Dispose();
        _pca = null;
        _i2c = null;
    }

    private InvalidOperationException NotOpen() => new($"device '{Name}' is not open");
}
