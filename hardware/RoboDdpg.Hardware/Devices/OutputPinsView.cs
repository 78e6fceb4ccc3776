using System.Device.Gpio;

namespace RoboDdpg.Hardware.Devices;

/// <summary>
/// Some output pins of another <see cref="GpioController"/>, handed to a binding as its controller, that write a
/// level only when it changes. The binding's <c>DCMotor</c> writes both direction pins on every speed change; through
/// a plain controller each write stores the value in a concurrent dictionary (an allocation per write) and, for
/// pins on a PCA9685, costs six I2C transactions. Here an unchanged level costs nothing. The level is remembered only
/// after the write succeeded, so a write retried after an I/O error goes out again.
/// </summary>
/// <remarks>
/// Opening a pin through the view opens it on the inner controller (unless it already is open) and disposing the view
/// closes the pins it opened; the inner controller itself is never disposed here (it is shared).
/// </remarks>
internal sealed class OutputPinsView : GpioController
{
    private readonly GpioController _inner;
    private readonly int[] _pins;
    private readonly int[] _levels; // −1 = unknown
    private readonly bool[] _openedHere;

    public OutputPinsView(GpioController inner, params int[] pins)
        : base(new NoDriver())
    {
        _inner = inner;
        _pins = pins;
        _levels = new int[pins.Length];
        Array.Fill(_levels, -1);
        _openedHere = new bool[pins.Length];
    }

    /// <summary>Writes the level whatever is remembered (the rest state after a fault).</summary>
    public void ForceWrite(int pinNumber, PinValue value)
    {
        var i = Index(pinNumber);
        _levels[i] = -1;
        _inner.Write(pinNumber, value);
        _levels[i] = value == PinValue.High ? 1 : 0;
    }

    public override int PinCount => _inner.PinCount;

    public override void Write(int pinNumber, PinValue value)
    {
        var i = Index(pinNumber);
        var level = value == PinValue.High ? 1 : 0;
        if (_levels[i] == level) return;
        _levels[i] = -1;
        _inner.Write(pinNumber, value);
        _levels[i] = level;
    }

    public override PinValue Read(int pinNumber) => _inner.Read(pinNumber);

    public override void SetPinMode(int pinNumber, PinMode mode)
    {
        _levels[Index(pinNumber)] = -1;
        _inner.SetPinMode(pinNumber, mode);
    }

    public override PinMode GetPinMode(int pinNumber) => _inner.GetPinMode(pinNumber);

    public override bool IsPinModeSupported(int pinNumber, PinMode mode) => _inner.IsPinModeSupported(pinNumber, mode);

    protected override void OpenPinCore(int pinNumber)
    {
        var i = Index(pinNumber);
        if (_inner.IsPinOpen(pinNumber)) return;
        _inner.OpenPin(pinNumber);
        _openedHere[i] = true;
    }

    protected override void ClosePinCore(int pinNumber)
    {
        var i = Index(pinNumber);
        _levels[i] = -1;
        if (!_openedHere[i]) return;
        _openedHere[i] = false;
        if (_inner.IsPinOpen(pinNumber)) _inner.ClosePin(pinNumber);
    }

    private int Index(int pinNumber)
    {
        var i = Array.IndexOf(_pins, pinNumber);
        return i >= 0 ? i : throw new ArgumentOutOfRangeException(nameof(pinNumber), pinNumber, "not one of this device's pins");
    }

    /// <summary>The base class needs a driver; every call is redirected to the inner controller instead.</summary>
    private sealed class NoDriver : GpioDriver
    {
        protected override int PinCount => 0;

        protected override void OpenPin(int pinNumber) => throw Redirected();

        protected override void ClosePin(int pinNumber) => throw Redirected();

        protected override void SetPinMode(int pinNumber, PinMode mode) => throw Redirected();

        protected override PinMode GetPinMode(int pinNumber) => throw Redirected();

        protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => throw Redirected();

        protected override PinValue Read(int pinNumber) => throw Redirected();

        protected override void Write(int pinNumber, PinValue value) => throw Redirected();

        protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => throw Redirected();

        protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) => throw Redirected();

        protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) => throw Redirected();

        private static NotSupportedException Redirected() => new("output pins view: events are not supported on these pins");
    }
}
