using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Emulation.HBridge;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.ODrive;
using RoboDdpg.Emulation.Pca9685;
using RoboDdpg.Hardware.Description;

namespace RoboDdpg.Hil;

/// <summary>
/// Plays a description's <c>emulation.faults</c> on the emulated devices: each fault starts and ends at its time on the
/// plant's clock, counted from <see cref="Start"/> (the run calls it as its control loop starts) or, for an owner that
/// calls <see cref="Apply"/> itself (a fake clock, once per tick), from construction.
/// </summary>
public sealed class EmulatedFaultSchedule : IDisposable
{
    private readonly (EmulatedFault Fault, object Device)[] _faults;
    private readonly bool[] _started;
    private readonly bool[] _ended;
    private readonly IMonotonicClock _clock;
    private long _origin;
    private readonly object _gate = new();
    private Thread? _thread;
    private volatile bool _stopping;

    public EmulatedFaultSchedule(IReadOnlyList<EmulatedFault> faults, Func<string, object> device, IMonotonicClock clock)
    {
        _faults = [.. faults.Select(f => (f, device(f.Device)))];
        foreach (var (fault, target) in _faults) Check(fault, target);
        _started = new bool[_faults.Length];
        _ended = new bool[_faults.Length];
        _clock = clock;
        _origin = clock.NowNanoseconds;
    }

    /// <summary>Faults injected so far.</summary>
    public int Injected { get; private set; }

    /// <summary>Faults that have started and ended (the devices are working again).</summary>
    public int Cleared { get; private set; }

    public int Count => _faults.Length;

    /// <summary>Starts and ends the faults whose time has come.</summary>
    public void Apply()
    {
        lock (_gate)
        {
            var seconds = (_clock.NowNanoseconds - _origin) * 1e-9;
            for (var i = 0; i < _faults.Length; i++)
            {
                var (fault, device) = _faults[i];
                if (!_started[i] && seconds >= fault.AtSeconds)
                {
                    _started[i] = true;
                    Set(fault, device, on: true);
                    Injected++;
                }
                if (_started[i] && !_ended[i] && seconds >= fault.AtSeconds + fault.ForSeconds)
                {
                    _ended[i] = true;
                    Set(fault, device, on: false);
                    Cleared++;
                }
            }
        }
    }

    /// <summary>Restarts the schedule's time at now and applies it every millisecond on a background thread (real-time runs).</summary>
    public void Start()
    {
        if (_faults.Length == 0 || _thread is not null) return;
        _origin = _clock.NowNanoseconds;
        _thread = new Thread(() =>
        {
            while (!_stopping)
            {
                Apply();
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "emulated-faults" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stopping = true;
        _thread?.Join();
    }

    private static void Check(EmulatedFault fault, object device)
    {
        var supported = (fault.Kind, device) switch
        {
            ("nack" or "stuck" or "garbage" or "latency", EmulatedI2cDevice or EmulatedMotorHat) => true,
            ("stuck" or "illegal-edges", EmulatedQuadratureEncoder) => true,
            ("stuck" or "garbage" or "latency" or "disconnect" or "silence", EmulatedODrive) => true,
            ("stuck" or "nack", EmulatedHBridge) => true,
            _ => false,
        };
        if (!supported)
            throw new EmulationException($"{fault.Location}: fault '{fault.Kind}' does not apply to device '{fault.Device}' ({device.GetType().Name})");
    }

    private static void Set(EmulatedFault fault, object device, bool on)
    {
        switch (device)
        {
            case EmulatedMotorHat hat:
                SetI2c(hat.Chip, fault, on);
                break;
            case EmulatedI2cDevice i2c:
                SetI2c(i2c, fault, on);
                break;
            case EmulatedQuadratureEncoder encoder:
                if (fault.Kind == "stuck") encoder.Stuck = on;
                else if (on) encoder.InjectIllegalTransition();
                break;
            case EmulatedHBridge bridge:
                if (fault.Kind == "stuck") bridge.Pwm.Frozen = on;
                else bridge.Pwm.FailWrites = on;
                break;
            case EmulatedODrive odrive:
                if (!on)
                {
                    if (fault.Kind == "disconnect") odrive.Reconnect();
                    else odrive.ClearFaults();
                    break;
                }
                switch (fault.Kind)
                {
                    case "disconnect": odrive.Disconnect(); break;
                    case "silence": odrive.DropReplies(int.MaxValue); break;
                    case "garbage": odrive.GarbleReplies(int.MaxValue); break;
                    case "stuck": odrive.FeedbackFault = ODriveFeedbackFault.Frozen; break;
                    case "latency": odrive.DelayReplies(int.MaxValue, TimeSpan.FromMilliseconds(fault.LatencyMilliseconds)); break;
                }
                break;
        }
    }

    private static void SetI2c(EmulatedI2cDevice device, EmulatedFault fault, bool on)
    {
        switch (fault.Kind)
        {
            case "nack": device.Faults.Nack = on; break;
            case "stuck": device.Faults.Frozen = on; break;
            case "garbage": device.Faults.Garbage = on; break;
            case "latency":
                if (on) device.Faults.AddLatency(TimeSpan.FromMilliseconds(fault.LatencyMilliseconds), int.MaxValue);
                else device.Faults.Clear();
                break;
        }
    }
}
