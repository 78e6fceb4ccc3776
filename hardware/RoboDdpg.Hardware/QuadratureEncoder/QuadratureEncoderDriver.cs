using System.Device.Gpio;
using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.QuadratureEncoder;

/// <summary>
/// An incremental A/B encoder on two GPIO pins, decoded ×4 in software from pin-change callbacks on both edges of
/// both channels. Inputs: "angle" = zero_offset ± counts·2π/CPR (rad; minus with invert) and "velocity" (rad/s).
/// </summary>
/// <remarks>
/// <para>Why not <c>Iot.Device.RotaryEncoder.QuadratureRotaryEncoder</c>: it listens to channel A only (×2 at best),
/// decides the direction by reading both pins when the callback runs, has a millisecond debounce on a wall-clock
/// stopwatch, cannot report illegal transitions and allocates event arguments per pulse.</para>
/// <para>Decoding: each callback takes the new level of its own pin from the event (edges on one pin alternate, so the
/// event is exact even when callbacks lag) and reads the other pin; the (old → new) A/B state goes through the ×4
/// table: one step forward or back, no change, or an illegal transition (both lines changed: an edge was missed or
/// two arrived closer together than the GPIO stack can tell apart). An illegal transition is counted
/// (<see cref="IllegalTransitions"/>) and changes no count, so each one may cost up to two counts of angle. Past
/// <c>max_illegal_transitions</c> the angle is no longer trustworthy: <see cref="Read"/> throws a permanent
/// <see cref="DeviceException"/> (re-home by re-opening).</para>
/// <para>Velocity: (count change since the previous read)·2π/CPR divided by the time between the two reads on the
/// monotonic clock — no filtering, so its resolution is one count per read period (0.31 rad/s at 2048 CPR and
/// 100 Hz). The first read after <see cref="Open"/> measures from the open; a read at the same clock instant as the
/// previous one repeats its velocity.</para>
/// <para>Not detectable here: an encoder whose lines stop changing (disconnected, dead) looks like a shaft at rest.</para>
/// </remarks>
public sealed class QuadratureEncoderDriver : IRobotDevice
{
    // Δcount for (old state·4 + new state), state = A·2 + B; forward is 00 → 10 → 11 → 01 → 00; 2 marks illegal.
    private static readonly sbyte[] Transitions =
    [
        0, -1, +1, 2,
        +1, 0, 2, -1,
        -1, 2, 0, +1,
        2, +1, -1, 0,
    ];

    private static readonly string[] InputNames = ["angle", "velocity"];

    private readonly IBusProvider _buses;
    private readonly IMonotonicClock _clock;
    private readonly int _pinA;
    private readonly int _pinB;
    private readonly double _radiansPerCount;
    private readonly double _zeroOffset;
    private readonly long _maxIllegal;
    private readonly object _gate = new();
    private readonly PinChangeEventHandler _onA;
    private readonly PinChangeEventHandler _onB;
    private GpioController? _gpio;
    private int _state;
    private long _count;
    private long _illegal;
    private long _lastCount;
    private long _lastNanoseconds;
    private double _velocity;

    /// <param name="clock">Timestamps for the velocity (the machine's monotonic clock unless a test fakes it).</param>
    public QuadratureEncoderDriver(DeviceDescription description, IBusProvider buses, IMonotonicClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(buses);
        _buses = buses;
        _clock = clock ?? MonotonicClock.Instance;
        Name = description.Name;
        var s = description.Settings;
        _pinA = s.GetInt("pin_a");
        _pinB = s.GetInt("pin_b");
        CountsPerRevolution = s.GetInt("counts_per_revolution");
        _zeroOffset = s.GetDouble("zero_offset");
        _maxIllegal = s.GetInt("max_illegal_transitions");
        if (_pinA == _pinB) throw new DeviceException(Name, $"pin_a and pin_b are both GPIO {_pinA}");
        if (CountsPerRevolution < 4) throw new DeviceException(Name, $"counts_per_revolution must be at least 4, not {CountsPerRevolution}");
        if (!double.IsFinite(_zeroOffset)) throw new DeviceException(Name, "zero_offset must be a finite angle in rad");
        _radiansPerCount = (s.GetBool("invert") ? -2 : 2) * Math.PI / CountsPerRevolution;
        _onA = (_, e) =>
        {
            if (Volatile.Read(ref _gpio) is { } gpio) OnEdge(e.ChangeType == PinEventTypes.Rising, gpio.Read(_pinB) == PinValue.High);
        };
        _onB = (_, e) =>
        {
            if (Volatile.Read(ref _gpio) is { } gpio) OnEdge(gpio.Read(_pinA) == PinValue.High, e.ChangeType == PinEventTypes.Rising);
        };
    }

    public string Name { get; }

    public IReadOnlyList<string> Inputs => InputNames;

    public IReadOnlyList<string> Outputs => [];

    public bool MayBlock => false;

    public int CountsPerRevolution { get; }

    /// <summary>Decoded counts since <see cref="Open"/> (before invert).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Transitions where both lines had changed since the previous edge.</summary>
    public long IllegalTransitions => Interlocked.Read(ref _illegal);

    public void Open()
    {
        Close();
        var gpio = DeviceBuses.Gpio(Name, _buses);
        try
        {
            gpio.OpenPin(_pinA, PinMode.Input);
            gpio.OpenPin(_pinB, PinMode.Input);
            lock (_gate)
            {
                _state = (gpio.Read(_pinA) == PinValue.High ? 2 : 0) | (gpio.Read(_pinB) == PinValue.High ? 1 : 0);
                Interlocked.Exchange(ref _count, 0);
                Interlocked.Exchange(ref _illegal, 0);
            }
            Volatile.Write(ref _gpio, gpio);
            gpio.RegisterCallbackForPinValueChangedEvent(_pinA, PinEventTypes.Rising | PinEventTypes.Falling, _onA);
            gpio.RegisterCallbackForPinValueChangedEvent(_pinB, PinEventTypes.Rising | PinEventTypes.Falling, _onB);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            _gpio = gpio;
            Close();
            throw new DeviceException(Name, $"cannot watch GPIO {_pinA} and {_pinB}: {e.Message}", e);
        }
        _lastCount = 0;
        _lastNanoseconds = _clock.NowNanoseconds;
        _velocity = 0;
    }

    public void Read(Span<double> readings)
    {
        if (_gpio is null) throw new InvalidOperationException($"device '{Name}' is not open");
        var illegal = IllegalTransitions;
        if (illegal > _maxIllegal)
        {
            throw new DeviceException(Name,
                $"{illegal} illegal A/B transitions (more than max_illegal_transitions = {_maxIllegal}): counts were lost and the angle is no longer trustworthy; check the wiring and pull-ups, or lower the speed");
        }
        var count = Count;
        var now = _clock.NowNanoseconds;
        var elapsed = now - _lastNanoseconds;
        if (elapsed > 0)
        {
            _velocity = (count - _lastCount) * _radiansPerCount / (elapsed * 1e-9);
            _lastCount = count;
            _lastNanoseconds = now;
        }
        readings[0] = _zeroOffset + count * _radiansPerCount;
        readings[1] = _velocity;
    }

    public void Write(ReadOnlySpan<double> commands)
    {
    }

    public bool Stop() => true; // a sensor: nothing to put at rest

    public void Dispose() => Close();

    private void OnEdge(bool a, bool b)
    {
        var next = (a ? 2 : 0) | (b ? 1 : 0);
        lock (_gate)
        {
            var step = Transitions[_state * 4 + next];
            _state = next;
            if (step == 2) Interlocked.Increment(ref _illegal);
            else if (step != 0) Interlocked.Add(ref _count, step);
        }
    }

    private void Close()
    {
        var gpio = Interlocked.Exchange(ref _gpio, null);
        if (gpio is null) return;
        foreach (var (pin, handler) in new[] { (_pinA, _onA), (_pinB, _onB) })
        {
            if (!gpio.IsPinOpen(pin)) continue;
            try
            {
                gpio.UnregisterCallbackForPinValueChangedEvent(pin, handler);
            }
            catch (InvalidOperationException)
            {
                // never registered (Open failed half-way)
            }
            gpio.ClosePin(pin);
        }
    }
}
