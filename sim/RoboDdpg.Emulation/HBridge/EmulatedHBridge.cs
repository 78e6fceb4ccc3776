using System.Device.Gpio;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.HBridge;

/// <summary>
/// A TB6612-style H-bridge between a hardware PWM channel, two GPIO direction pins and the plant's motor. The
/// bridge's PWM input is <see cref="Pwm"/> (give it to the driver as its PWM channel); IN1/IN2 are output pins of
/// the <see cref="EmulatedGpioDriver"/>. Every change of either is turned into a plant command.
/// </summary>
/// <remarks>
/// Wiring modelled: the motor leads are connected so that IN2 high and IN1 low (the dotnet/iot three-pin DCMotor's
/// positive speed) swing the arm towards +θ; that is the TB6612's "reverse", so the plant's duty is the negated
/// <see cref="Tb6612Bridge"/> output. Both inputs low → the motor coasts; PWM low with a direction set, or both
/// inputs high → short brake.
/// </remarks>
public sealed class EmulatedHBridge : IDisposable
{
    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedGpioDriver _gpio;
    private readonly object _gate = new();
    private readonly Action<int, PinValue> _onPin;
    private readonly Action _onPwm;
    private BridgeOutput _output;

    public EmulatedHBridge(MotorPendulumPlant plant, EmulatedGpioDriver gpio, int in1Pin, int in2Pin, EmulatedPwmChannel pwm)
    {
        ArgumentNullException.ThrowIfNull(plant);
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(pwm);
        if (in1Pin == in2Pin) throw new ArgumentException("IN1 and IN2 must be different pins", nameof(in2Pin));
        _plant = plant;
        _gpio = gpio;
        In1Pin = in1Pin;
        In2Pin = in2Pin;
        Pwm = pwm;
        _output = Current();
        _output.ApplyTo(plant);
        _onPin = (pin, _) =>
        {
            if (pin == In1Pin || pin == In2Pin) Update();
        };
        _onPwm = Update;
        gpio.OutputWritten += _onPin;
        pwm.Changed += _onPwm;
    }

    public int In1Pin { get; }

    public int In2Pin { get; }

    /// <summary>The PWM channel wired to the bridge's PWM input.</summary>
    public EmulatedPwmChannel Pwm { get; }

    /// <summary>What the bridge does now, with the duty as the plant sees it (positive = +θ).</summary>
    public BridgeOutput Output
    {
        get
        {
            lock (_gate) return _output;
        }
    }

    public void Dispose()
    {
        _gpio.OutputWritten -= _onPin;
        Pwm.Changed -= _onPwm;
    }

    private BridgeOutput Current()
    {
        var bridge = Tb6612Bridge.Output(
            _gpio.LevelOf(In1Pin) == PinValue.High, _gpio.LevelOf(In2Pin) == PinValue.High, Pwm.OutputDuty);
        return bridge with { Duty = -bridge.Duty + 0.0 }; // + 0.0 turns −0 into 0
    }

    private void Update()
    {
        var next = Current();
        lock (_gate)
        {
            if (next == _output) return;
            _output = next;
            next.ApplyTo(_plant);
        }
    }
}
