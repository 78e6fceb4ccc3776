using System.Device.Gpio;
using System.Device.Pwm;

namespace RoboDdpg.Hardware.Pca9685Motor;

/// <summary>
/// Two PCA9685 channels used as logic outputs (full-on = high, full-off = low), exposed as GPIO pins numbered by
/// channel, so the binding's three-pin <c>DCMotor</c> can drive a TB6612 whose IN1/IN2 hang on PCA9685 outputs.
/// Each write is six I2C transactions (the binding's LED register writes); the driver puts an
/// <see cref="Devices.OutputPinsView"/> in front so unchanged levels are not written again.
/// </summary>
internal sealed class Pca9685LogicPins : GpioDriver
{
    private readonly PwmChannel[] _channels;
    private readonly int[] _pins;
    private readonly int[] _levels = [0, 0];

    public Pca9685LogicPins(int firstPin, PwmChannel first, int secondPin, PwmChannel second)
    {
        _pins = [firstPin, secondPin];
        _channels = [first, second];
    }

    protected override int PinCount => 16;

    protected override void OpenPin(int pinNumber) => Index(pinNumber);

    protected override void ClosePin(int pinNumber) => Index(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        Index(pinNumber);
        if (mode != PinMode.Output) throw new InvalidOperationException($"PCA9685 channel {pinNumber} can only be an output");
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        Index(pinNumber);
        return PinMode.Output;
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode == PinMode.Output;

    /// <summary>The level last written (the chip's register is read back by the driver's Stop, not here).</summary>
    protected override PinValue Read(int pinNumber) => _levels[Index(pinNumber)] == 1 ? PinValue.High : PinValue.Low;

    protected override void Write(int pinNumber, PinValue value)
    {
        var i = Index(pinNumber);
        var level = value == PinValue.High ? 1 : 0;
        _channels[i].DutyCycle = level;
        _levels[i] = level;
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("PCA9685 outputs have no input events");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException("PCA9685 outputs have no input events");

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        throw new NotSupportedException("PCA9685 outputs have no input events");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var channel in _channels) channel.Dispose();
        }
        base.Dispose(disposing);
    }

    private int Index(int pinNumber) =>
        pinNumber == _pins[0] ? 0
        : pinNumber == _pins[1] ? 1
        : throw new ArgumentOutOfRangeException(nameof(pinNumber), pinNumber, $"only PCA9685 channels {_pins[0]} and {_pins[1]} are direction pins");
}
