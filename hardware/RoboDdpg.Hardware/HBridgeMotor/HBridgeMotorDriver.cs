using System.Device.Gpio;
using System.Device.Pwm;
using Iot.Device.DCMotor;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.HBridgeMotor;

/// <summary>
/// A brushed DC motor on an H-bridge with a PWM speed input and two direction inputs (L298N, TB6612FNG), through
/// the binding's <c>DCMotor.Create(PwmChannel, in1, in2, GpioController)</c>: a hardware PWM channel from
/// <see cref="IBusProvider.OpenPwm"/>, the pins on the shared <see cref="IBusProvider.Gpio"/>.
/// Output "duty" in [−1, 1]: positive sets IN2 high and IN1 low (the binding's convention), negative the reverse;
/// 0 sets both low and the PWM to 0, so the bridge outputs are off and the motor coasts (it is not braked).
/// </summary>
/// <remarks>
/// <see cref="Stop"/> writes the rest state whatever the binding believes it wrote, then reads the PWM duty and
/// both pins back; it reports false if any is not at rest (a failed or ignored write).
/// Nothing here can block: a sysfs write per changed duty, GPIO line writes only when the direction changes (the
/// binding rewrites both pins on every speed change; an <see cref="OutputPinsView"/> drops the unchanged ones, which
/// also keeps the tick free of allocations).
/// </remarks>
public sealed class HBridgeMotorDriver : IRobotDevice
{
    private static readonly string[] OutputNames = ["duty"];

    private readonly IBusProvider _buses;
    private readonly int _pwmChip;
    private readonly int _pwmChannel;
    private readonly int _frequencyHz;
    private readonly int _in1;
    private readonly int _in2;
    private readonly bool _invert;
    private PwmChannel? _pwm;
    private GpioController? _gpio;
    private OutputPinsView? _pins;
    private DCMotor? _motor;

    public HBridgeMotorDriver(DeviceDescription description, IBusProvider buses)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(buses);
        _buses = buses;
        Name = description.Name;
        var s = description.Settings;
        _pwmChip = s.GetInt("pwm_chip");
        _pwmChannel = s.GetInt("pwm_channel");
        _frequencyHz = (int)Math.Round(s.GetDouble("pwm_frequency"));
        _in1 = s.GetInt("in1_pin");
        _in2 = s.GetInt("in2_pin");
        _invert = s.GetBool("invert");
        if (_frequencyHz < 1) throw new DeviceException(Name, $"pwm_frequency must be at least 1 Hz, not {s.GetDouble("pwm_frequency")}");
        if (_in1 == _in2) throw new DeviceException(Name, $"in1_pin and in2_pin are both GPIO {_in1}");
    }

    public string Name { get; }

    public IReadOnlyList<string> Inputs => [];

    public IReadOnlyList<string> Outputs => OutputNames;

    public bool MayBlock => false;

    public void Open()
    {
        Close();
        _gpio = DeviceBuses.Gpio(Name, _buses);
        _pwm = DeviceBuses.OpenPwm(Name, _buses, _pwmChip, _pwmChannel, _frequencyHz);
        try
        {
            // The Linux channel opens at 50 % duty; the motor starts the channel, so zero it first.
            _pwm.DutyCycle = 0;
            _pins = new OutputPinsView(_gpio, _in1, _in2);
            _motor = DCMotor.Create(_pwm, _in1, _in2, _pins, shouldDispose: false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            Close();
            throw new DeviceException(Name,
                $"cannot set up the H-bridge (PWM chip {_pwmChip} channel {_pwmChannel}, GPIO {_in1} and {_in2}): {e.Message}", e);
        }
    }

    public void Read(Span<double> readings)
    {
    }

    /// <summary>Sets the duty (commands[0] in [−1, 1]; a non-finite value stops).</summary>
    public void Write(ReadOnlySpan<double> commands)
    {
        var motor = _motor ?? throw new InvalidOperationException($"device '{Name}' is not open");
        var duty = commands[0];
        duty = double.IsFinite(duty) ? Math.Clamp(duty, -1, 1) : 0;
        motor.Speed = _invert ? -duty : duty;
    }

    /// <summary>Why the last <see cref="Stop"/> could not confirm the rest state; null after a confirmed stop.</summary>
    public string? LastStopProblem { get; private set; }

    public bool Stop()
    {
        if (_motor is null || _pwm is null || _gpio is null || _pins is null)
        {
            LastStopProblem = "not open";
            return false;
        }
        try
        {
            _motor.Speed = 0;
            _pwm.DutyCycle = 0;
            _pins.ForceWrite(_in1, PinValue.Low);
            _pins.ForceWrite(_in2, PinValue.Low);
            var duty = _pwm.DutyCycle;
            var (in1, in2) = (_gpio.Read(_in1), _gpio.Read(_in2));
            LastStopProblem = duty == 0 && in1 == PinValue.Low && in2 == PinValue.Low
                ? null
                : $"reads back PWM duty {duty:0.###}, IN1 {in1}, IN2 {in2} after writing the rest state";
            return LastStopProblem is null;
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

    private void Close()
    {
        _motor?.Dispose(); // disposes the PWM channel, not the shared controller
        _motor = null;
        _pwm?.Dispose();
        _pwm = null;
        _pins?.Dispose(); // closes the pins on the shared controller
        _pins = null;
        _gpio = null;
    }
}
