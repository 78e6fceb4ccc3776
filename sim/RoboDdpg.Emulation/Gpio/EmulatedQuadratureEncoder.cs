using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.Gpio;

/// <summary>
/// The A/B lines of an incremental encoder on the plant's output shaft, on two pins of an
/// <see cref="EmulatedGpioDriver"/>. Position count = floor(θ·CPR/2π) with CPR counts per revolution after ×4
/// decoding; phase (count mod 4) 0,1,2,3 ↔ (A,B) = 00, 10, 11, 01, so A leads B when θ increases.
/// Created by <see cref="EmulatedGpioDriver.AttachEncoder"/>; advanced by the driver's pump.
/// </summary>
/// <remarks>
/// Faults, switchable at runtime: <see cref="MissNextEdges"/> (the lines change but no callback is invoked: lost
/// interrupts), <see cref="InjectIllegalTransition"/> (both lines change before either edge is reported, as when two
/// edges arrive closer together than the GPIO stack can tell apart), <see cref="Stuck"/> (the lines stop following
/// the shaft: a disconnected or dead encoder).
/// </remarks>
public sealed class EmulatedQuadratureEncoder
{
    private readonly EmulatedGpioDriver _gpio;
    private readonly MotorPendulumPlant _plant;
    private readonly double _countsPerRadian;
    private readonly long _powerOnCount;
    private long _count;
    private int _missNext;
    private volatile bool _illegalPending;
    private volatile bool _stuck;
    private long _edgesEmitted;
    private long _edgesMissed;
    private long _illegalInjected;

    internal EmulatedQuadratureEncoder(EmulatedGpioDriver gpio, MotorPendulumPlant plant, int pinA, int pinB, int countsPerRevolution)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(countsPerRevolution, 4);
        _gpio = gpio;
        _plant = plant;
        PinA = pinA;
        PinB = pinB;
        CountsPerRevolution = countsPerRevolution;
        _countsPerRadian = countsPerRevolution / (2 * Math.PI);
        _powerOnCount = CountAt(plant.Sample().Theta);
        _count = _powerOnCount;
        var (a, b) = Lines(_count);
        gpio.SetSourceLevel(pinA, a);
        gpio.SetSourceLevel(pinB, b);
    }

    public int PinA { get; }

    public int PinB { get; }

    /// <summary>Counts per output revolution after ×4 decoding (4 edges per line cycle).</summary>
    public int CountsPerRevolution { get; }

    /// <summary>Counts emitted so far relative to power-on (what a perfect decoder holds).</summary>
    public long Count => Interlocked.Read(ref _count) - _powerOnCount;

    /// <summary>Edges reported to callbacks.</summary>
    public long EdgesEmitted => Interlocked.Read(ref _edgesEmitted);

    /// <summary>Edges that changed a line without being reported.</summary>
    public long EdgesMissed => Interlocked.Read(ref _edgesMissed);

    /// <summary>Double steps injected by <see cref="InjectIllegalTransition"/>.</summary>
    public long IllegalTransitionsInjected => Interlocked.Read(ref _illegalInjected);

    /// <summary>Fault: the lines stop following the shaft while set (they resume, in a burst, when cleared).</summary>
    public bool Stuck
    {
        get => _stuck;
        set => _stuck = value;
    }

    /// <summary>Fault: the next <paramref name="edges"/> edges change their line but invoke no callback.</summary>
    public void MissNextEdges(int edges)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(edges);
        Volatile.Write(ref _missNext, edges);
    }

    /// <summary>Fault: the next time two or more counts are due, A and B change together, then both edges are reported.</summary>
    public void InjectIllegalTransition() => _illegalPending = true;

    /// <summary>The count for an angle: floor(θ·CPR/2π).</summary>
    public long CountAt(double theta) => (long)Math.Floor(theta * _countsPerRadian);

    internal void Pump()
    {
        if (_stuck) return;
        var target = CountAt(_plant.Sample().Theta);
        var count = _count;
        while (count != target)
        {
            var direction = target > count ? 1 : -1;
            var (oldA, oldB) = Lines(count);
            if (_illegalPending && Math.Abs(target - count) >= 2)
            {
                _illegalPending = false;
                count += 2 * direction;
                Interlocked.Exchange(ref _count, count);
                var (a, b) = Lines(count);
                _gpio.SetSourceLevel(PinA, a);
                _gpio.SetSourceLevel(PinB, b);
                Interlocked.Increment(ref _illegalInjected);
                Report(PinA, a);
                Report(PinB, b);
                continue;
            }
            count += direction;
            Interlocked.Exchange(ref _count, count);
            var (newA, newB) = Lines(count);
            var pin = newA != oldA ? PinA : PinB;
            var level = newA != oldA ? newA : newB;
            _gpio.SetSourceLevel(pin, level);
            if (Volatile.Read(ref _missNext) > 0)
            {
                Interlocked.Decrement(ref _missNext);
                Interlocked.Increment(ref _edgesMissed);
            }
            else
            {
                Report(pin, level);
            }
        }
    }

    private void Report(int pin, bool rising)
    {
        Interlocked.Increment(ref _edgesEmitted);
        _gpio.RaiseEdge(pin, rising);
    }

    private static (bool A, bool B) Lines(long count) => (count & 3) switch
    {
        0 => (false, false),
        1 => (true, false),
        2 => (true, true),
        _ => (false, true),
    };
}
