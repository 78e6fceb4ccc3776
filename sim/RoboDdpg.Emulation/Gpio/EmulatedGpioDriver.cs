using System.Device.Gpio;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.Gpio;

/// <summary>
/// A GPIO chip for hardware-in-the-loop runs: quadrature encoder signals generated from the plant's angle on pairs of
/// input pins (see <see cref="AttachEncoder"/>), with the registered edge callbacks invoked for every edge in order,
/// and plain output pins (H-bridge direction inputs) that anything can watch through <see cref="OutputWritten"/>.
/// Wrap it in a <see cref="GpioController"/> as the real chip is.
/// </summary>
/// <remarks>
/// <para>How edges are produced: the encoder lines follow the plant only when someone pumps them. <see cref="Pump"/>
/// samples the plant once (advancing its physics to the clock's now) and emits, one by one, every edge between the
/// last emitted count and the new one — a burst when several counts passed. Tests on a <see cref="FakeClock"/> call
/// <see cref="Pump"/> themselves, so exactly the edges they expect arrive, on their own thread, before they read.
/// Real-time runs call <see cref="StartPumping"/>: a background thread pumps every period (200 µs = 5 kHz by
/// default, enough for 13 000 counts/s at bursts of ~3 edges), invoking the callbacks on that thread, as a
/// kernel GPIO event thread would.</para>
/// <para>Callbacks for one pin are invoked in registration order, without any lock held, so a callback may read
/// other pins. Event arguments are preallocated per pin and edge (no allocation per edge).</para>
/// </remarks>
public sealed class EmulatedGpioDriver : GpioDriver
{
    private readonly object _gate = new();
    private readonly object _pumpGate = new();
    private readonly Pin?[] _pins;
    private EmulatedQuadratureEncoder[] _encoders = [];
    private Thread? _pumpThread;
    private volatile bool _stopPumping;
    private volatile bool _failPinWrites;

    /// <param name="pinCount">Pins 0..pinCount−1 exist (the robot description allows up to 1023).</param>
    public EmulatedGpioDriver(int pinCount = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pinCount, 1);
        _pins = new Pin?[pinCount];
    }

    /// <summary>An output pin was written (pin, new value); raised on the writer's thread.</summary>
    public event Action<int, PinValue>? OutputWritten;

    /// <summary>Fault: every write to an output pin throws <see cref="IOException"/> (a failed line request).</summary>
    public bool FailPinWrites
    {
        get => _failPinWrites;
        set => _failPinWrites = value;
    }

    protected override int PinCount => _pins.Length;

    /// <summary>
    /// Generates quadrature signals of an encoder on the plant's output shaft on <paramref name="pinA"/> and
    /// <paramref name="pinB"/>: count = floor(θ·CPR/2π), A leading B when θ increases. The lines start at the levels
    /// of the plant's angle now ("power-on").
    /// </summary>
    public EmulatedQuadratureEncoder AttachEncoder(MotorPendulumPlant plant, int pinA, int pinB, int countsPerRevolution)
    {
        ArgumentNullException.ThrowIfNull(plant);
        CheckPin(pinA);
        CheckPin(pinB);
        if (pinA == pinB) throw new ArgumentException("encoder channels A and B must be different pins", nameof(pinB));
        lock (_gate)
        {
            if (PinFor(pinA).Source || PinFor(pinB).Source)
                throw new InvalidOperationException($"pin {pinA} or {pinB} already carries an encoder signal");
            PinFor(pinA).Source = true;
            PinFor(pinB).Source = true;
            var encoder = new EmulatedQuadratureEncoder(this, plant, pinA, pinB, countsPerRevolution);
            _encoders = [.. _encoders, encoder];
            return encoder;
        }
    }

    /// <summary>Brings every attached encoder's lines up to the plant's angle now, invoking callbacks edge by edge.</summary>
    public void Pump()
    {
        lock (_pumpGate)
        {
            foreach (var encoder in Volatile.Read(ref _encoders)) encoder.Pump();
        }
    }

    /// <summary>Pumps on a background thread every <paramref name="period"/> (default 200 µs) until <see cref="StopPumping"/>.</summary>
    public void StartPumping(TimeSpan? period = null)
    {
        var periodNs = (period ?? TimeSpan.FromMicroseconds(200)).Ticks * 100;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(periodNs, 0L, nameof(period));
        lock (_gate)
        {
            if (_pumpThread is not null) throw new InvalidOperationException("already pumping");
            _stopPumping = false;
            var clock = MonotonicClock.Instance;
            var waiter = DeadlineWaiter.Create(WaitStrategy.Sleep, clock, TimeSpan.Zero);
            _pumpThread = new Thread(() =>
            {
                var next = clock.NowNanoseconds;
                while (!_stopPumping)
                {
                    Pump();
                    next += periodNs;
                    var now = clock.NowNanoseconds;
                    if (next < now) next = now; // fell behind: no catch-up burst of pumps
                    waiter.WaitUntil(next);
                }
            })
            {
                IsBackground = true,
                Name = "emulated-gpio-pump",
            };
            _pumpThread.Start();
        }
    }

    /// <summary>Stops the background pumping thread and waits for it.</summary>
    public void StopPumping()
    {
        Thread? thread;
        lock (_gate)
        {
            thread = _pumpThread;
            _pumpThread = null;
        }
        if (thread is null) return;
        _stopPumping = true;
        thread.Join();
    }

    /// <summary>The level a pin is at (tests, diagnostics), open or not.</summary>
    public PinValue LevelOf(int pin)
    {
        CheckPin(pin);
        return _pins[pin] is { } p && Volatile.Read(ref p.Level) != 0 ? PinValue.High : PinValue.Low;
    }

    protected override void OpenPin(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_gate) PinFor(pinNumber).Open = true;
    }

    protected override void ClosePin(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            if (_pins[pinNumber] is not { } pin) return;
            pin.Open = false;
            pin.Listeners = [];
            pin.Mode = PinMode.Input;
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            var pin = PinFor(pinNumber);
            if (pin.Source && mode == PinMode.Output)
                throw new InvalidOperationException($"pin {pinNumber} carries an encoder signal and cannot be an output");
            pin.Mode = mode;
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        CheckPin(pinNumber);
        return _pins[pinNumber]?.Mode ?? PinMode.Input;
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber) => LevelOf(pinNumber);

    protected override void Write(int pinNumber, PinValue value)
    {
        CheckPin(pinNumber);
        if (_failPinWrites) throw new IOException($"GPIO pin {pinNumber}: setting the line value failed (injected fault)");
        var pin = PinFor(pinNumber);
        if (pin.Source) throw new InvalidOperationException($"pin {pinNumber} carries an encoder signal and cannot be written");
        Volatile.Write(ref pin.Level, value == PinValue.High ? 1 : 0);
        OutputWritten?.Invoke(pinNumber, value);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        using var signal = new ManualResetEventSlim();
        var seen = PinEventTypes.None;
        PinChangeEventHandler handler = (_, e) =>
        {
            seen = e.ChangeType;
            signal.Set();
        };
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, handler);
        try
        {
            signal.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = seen, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, handler);
        }
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        CheckPin(pinNumber);
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            var pin = PinFor(pinNumber);
            pin.Listeners = [.. pin.Listeners, new Listener(eventTypes, callback)];
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        CheckPin(pinNumber);
        lock (_gate)
        {
            if (_pins[pinNumber] is not { } pin) return;
            pin.Listeners = Array.FindAll(pin.Listeners, l => l.Callback != callback);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) StopPumping();
        base.Dispose(disposing);
    }

    /// <summary>Sets an encoder line without telling anyone (power-on levels, missed edges).</summary>
    internal void SetSourceLevel(int pinNumber, bool high) => Volatile.Write(ref PinFor(pinNumber).Level, high ? 1 : 0);

    /// <summary>Invokes the callbacks registered for this edge of an encoder line, in registration order.</summary>
    internal void RaiseEdge(int pinNumber, bool rising)
    {
        var pin = _pins[pinNumber]!;
        var type = rising ? PinEventTypes.Rising : PinEventTypes.Falling;
        var args = rising ? pin.RisingArgs : pin.FallingArgs;
        foreach (var listener in Volatile.Read(ref pin.Listeners))
        {
            if ((listener.Types & type) != 0) listener.Callback(this, args);
        }
    }

    private Pin PinFor(int pinNumber)
    {
        if (_pins[pinNumber] is { } pin) return pin;
        lock (_gate) return _pins[pinNumber] ??= new Pin(pinNumber);
    }

    private void CheckPin(int pinNumber)
    {
        if ((uint)pinNumber >= (uint)_pins.Length)
            throw new ArgumentOutOfRangeException(nameof(pinNumber), pinNumber, $"the emulated GPIO chip has pins 0..{_pins.Length - 1}");
    }

    private readonly record struct Listener(PinEventTypes Types, PinChangeEventHandler Callback);

    private sealed class Pin(int number)
    {
        public readonly PinValueChangedEventArgs RisingArgs = new(PinEventTypes.Rising, number);
        public readonly PinValueChangedEventArgs FallingArgs = new(PinEventTypes.Falling, number);
        public int Level;
        public Listener[] Listeners = [];
        public bool Open;
        public bool Source;
        public PinMode Mode = PinMode.Input;
    }
}
