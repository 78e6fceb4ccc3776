using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Robot;

/// <summary>Fault figures of one device, safe to read from any thread.</summary>
/// <param name="FailedExchanges">Reads or writes that failed after their retries (or were refused by an open circuit).</param>
/// <param name="Retries">Transient errors retried within a tick.</param>
/// <param name="CircuitOpenings">Times the circuit breaker opened.</param>
/// <param name="LastError">The last error's message, or null.</param>
public readonly record struct DeviceHealth(string Device, long Exchanges, long FailedExchanges, long Retries, long CircuitOpenings, string? LastError);

/// <summary>
/// One device as the runtime drives it: its driver behind a Polly pipeline (in-tick retries of transient errors inside
/// a circuit breaker), its last good readings with the tick they were taken, and — for devices whose I/O can block
/// longer than a tick — its own I/O thread, so the control loop only ever copies the last values.
/// </summary>
internal sealed class DevicePort : IDisposable
{
    private static PredicateBuilder<object> Transient() => new PredicateBuilder<object>()
        .Handle<IOException>()
        .Handle<TimeoutException>()
        .Handle<NonFiniteReadingException>();

    private readonly ResiliencePipeline _pipeline;
    private readonly IMonotonicClock _clock;
    private readonly double[] _scratch;
    private readonly double[] _readings;      // last good values (loop thread's copy)
    private readonly double[] _published;     // I/O thread → loop, under the seqlock
    private readonly double[] _commands;      // loop's latest commands
    private readonly double[] _pendingCommands; // loop → I/O thread, under the seqlock
    private readonly double[] _scratchCommands;
    private readonly double[] _ioReadings;      // the I/O thread's own copy before publishing
    private readonly int _retryDelayMicroseconds;
    private readonly CircuitBreakerManualControl _circuit = new();
    private readonly int _breakAfterFailures;
    private readonly long _breakNanoseconds;
    private int _consecutiveFailures;
    private long _isolatedUntilNs;   // 0: the circuit is closed
    private Thread? _ioThread;
    private readonly AutoResetEvent _cycle = new(false);
    private volatile bool _stopping;
    private long _sequence;          // seqlock over _published/_publishedTick
    private long _commandSequence;   // seqlock over _pendingCommands
    private long _publishedTick = long.MinValue;
    private long _requestedTick;
    private long _lastGoodTick = long.MinValue;
    private long _lastSuccessNs;
    private long _exchanges, _failed, _retries, _openings;
    private string? _lastError;
    private bool _hasCommands;
    private bool _lastWriteFailed;

    public DevicePort(IRobotDevice device, FaultPolicy policy, IMonotonicClock clock)
    {
        Device = device;
        _clock = clock;
        _retryDelayMicroseconds = policy.RetryDelayMicroseconds;
        _breakAfterFailures = Math.Max(1, policy.BreakAfterFailures);
        _breakNanoseconds = (long)(Math.Max(0, policy.BreakSeconds) * 1e9);
        _scratch = new double[device.Inputs.Count];
        _readings = new double[device.Inputs.Count];
        _published = new double[device.Inputs.Count];
        _commands = new double[device.Outputs.Count];
        _pendingCommands = new double[device.Outputs.Count];
        _scratchCommands = new double[device.Outputs.Count];
        _ioReadings = new double[device.Inputs.Count];

        var builder = new ResiliencePipelineBuilder();
        // Polly's breaker opens on a failure ratio over a sampling window, so earlier successes (and every successful
        // write through the same device) would keep a dead sensor's circuit closed for the whole window. "N failed
        // exchanges in a row" is what a device fault looks like, so the runtime counts those and isolates the circuit
        // through Polly's manual control; while isolated Polly refuses calls without touching the device.
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = Transient(),
            FailureRatio = 1.0,
            MinimumThroughput = int.MaxValue, // never by ratio: only through ManualControl below
            ManualControl = _circuit,
        });
        if (policy.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = Transient(),
                MaxRetryAttempts = policy.Retries,
                // Polly's own delays are timer-based (≥ 1 ms); an in-tick retry pause is microseconds, so it is spun here.
                Delay = TimeSpan.Zero,
                BackoffType = DelayBackoffType.Constant,
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    SpinFor(_retryDelayMicroseconds);
                    return default;
                },
            });
        }
        _pipeline = builder.Build();
        _lastSuccessNs = clock.NowNanoseconds;
    }

    public IRobotDevice Device { get; }

    public bool Threaded => Device.MayBlock;

    /// <summary>Last good readings (loop thread), valid after <see cref="Poll"/>.</summary>
    public ReadOnlySpan<double> Readings => _readings;

    /// <summary>Commands to write (loop thread fills them before <see cref="Push"/>).</summary>
    public Span<double> Commands => _commands;

    public bool HasInputs => _readings.Length > 0;

    /// <summary>The last write failed: what the actuator is doing now is unknown.</summary>
    public bool LastWriteFailed => Volatile.Read(ref _lastWriteFailed);

    public bool HasOutputs => _commands.Length > 0;

    /// <summary>Ticks since the last good reading (long.MaxValue if there never was one).</summary>
    public long AgeTicks(long tick) => _lastGoodTick == long.MinValue ? long.MaxValue : tick - _lastGoodTick;

    /// <summary>Seconds since the last successful exchange.</summary>
    public double SecondsSinceSuccess => (_clock.NowNanoseconds - Interlocked.Read(ref _lastSuccessNs)) * 1e-9;

    public DeviceHealth Health => new(Device.Name, Interlocked.Read(ref _exchanges), Interlocked.Read(ref _failed),
        Interlocked.Read(ref _retries), Interlocked.Read(ref _openings), Volatile.Read(ref _lastError));

    public void StartIoThread()
    {
        if (!Threaded || _ioThread is not null) return;
        _stopping = false;
        _ioThread = new Thread(IoLoop) { IsBackground = true, Name = $"io:{Device.Name}" };
        _ioThread.Start();
    }

    /// <summary>Stops the I/O thread, waiting for an exchange in progress (bounded by the device's own timeouts).</summary>
    public void StopIoThread()
    {
        if (_ioThread is null) return;
        _stopping = true;
        _cycle.Set();
        _ioThread.Join(TimeSpan.FromSeconds(5));
        _ioThread = null;
    }

    /// <summary>
    /// Loop thread, once per tick: brings <see cref="Readings"/> up to date — an inline device is read now, a threaded
    /// one is copied from its I/O thread's last result.
    /// </summary>
    public void Poll(long tick)
    {
        if (!HasInputs) return;
        if (Threaded)
        {
            long before, publishedTick;
            do
            {
                before = Volatile.Read(ref _sequence);
                _published.AsSpan().CopyTo(_readings.AsSpan());
                publishedTick = Volatile.Read(ref _publishedTick);
            } while ((before & 1) != 0 || Volatile.Read(ref _sequence) != before);
            // The I/O thread's result is as old as the tick that requested it.
            if (publishedTick != long.MinValue) _lastGoodTick = publishedTick;
            return;
        }
        if (ReadNow(_readings)) _lastGoodTick = tick;
    }

    /// <summary>Loop thread: writes <see cref="Commands"/> (inline) or hands them to the I/O thread, then starts its next cycle.</summary>
    public void Push(long tick)
    {
        if (Threaded)
        {
            if (HasOutputs)
            {
                Interlocked.Increment(ref _commandSequence);
                _commands.AsSpan().CopyTo(_pendingCommands);
                Interlocked.Increment(ref _commandSequence);
                _hasCommands = true;
            }
            Volatile.Write(ref _requestedTick, tick);
            _cycle.Set();
            return;
        }
        if (HasOutputs) WriteNow(_commands);
    }

    /// <summary>Writes <paramref name="commands"/> directly (I/O thread stopped): the safe action on deactivate.</summary>
    public bool WriteDirect(ReadOnlySpan<double> commands) => WriteNow(commands);

    public void Dispose()
    {
        StopIoThread();
        _cycle.Dispose();
        Device.Dispose();
    }

    private void IoLoop()
    {
        var commands = new double[_pendingCommands.Length];
        while (!_stopping)
        {
            _cycle.WaitOne();
            if (_stopping) break;
            var tick = Volatile.Read(ref _requestedTick);
            if (_hasCommands && HasOutputs)
            {
                long before;
                do
                {
                    before = Volatile.Read(ref _commandSequence);
                    _pendingCommands.AsSpan().CopyTo(commands);
                } while ((before & 1) != 0 || Volatile.Read(ref _commandSequence) != before);
                WriteNow(commands);
            }
            if (HasInputs && ReadNow(_ioReadings))
            {
                Interlocked.Increment(ref _sequence);
                _ioReadings.AsSpan().CopyTo(_published);
                Volatile.Write(ref _publishedTick, tick);
                Interlocked.Increment(ref _sequence);
            }
        }
    }

    /// <summary>One read through the pipeline into <paramref name="destination"/>; false (counted, remembered) on failure.</summary>
    private bool ReadNow(double[] destination)
    {
        ProbeIfBreakOver();
        Interlocked.Increment(ref _exchanges);
        try
        {
            _pipeline.Execute(static port =>
            {
                port.Device.Read(port._scratch);
                foreach (var value in port._scratch)
                {
                    if (!double.IsFinite(value)) throw new NonFiniteReadingException(port.Device.Name);
                }
            }, this);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a driver throws, the loop goes on: the reading goes stale and the fault policy decides.
            Fail(e);
            return false;
        }
        _scratch.AsSpan().CopyTo(destination);
        Succeed();
        return true;
    }

    private bool WriteNow(ReadOnlySpan<double> commands)
    {
        ProbeIfBreakOver();
        Interlocked.Increment(ref _exchanges);
        commands.CopyTo(_scratchCommands);
        try
        {
            _pipeline.Execute(static port => port.Device.Write(port._scratchCommands), this);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fail(e);
            Volatile.Write(ref _lastWriteFailed, true);
            return false;
        }
        Succeed();
        Volatile.Write(ref _lastWriteFailed, false);
        return true;
    }

    private void Succeed()
    {
        Interlocked.Exchange(ref _lastSuccessNs, _clock.NowNanoseconds);
        _consecutiveFailures = 0;
    }

    private void Fail(Exception e)
    {
        Interlocked.Increment(ref _failed);
        if (e is BrokenCircuitException)
        {
            var last = Volatile.Read(ref _lastError);
            if (last is not null && !last.StartsWith("circuit open", StringComparison.Ordinal))
                Volatile.Write(ref _lastError, $"circuit open after {_breakAfterFailures} failures in a row ({last})");
            return;
        }
        Volatile.Write(ref _lastError, e.Message);
        // A failed probe after a break counts on from where it was: it isolates again at once.
        if (++_consecutiveFailures >= _breakAfterFailures && _isolatedUntilNs == 0)
        {
            _circuit.IsolateAsync().GetAwaiter().GetResult(); // fault path: completes synchronously, allocation is fine here
            _isolatedUntilNs = _clock.NowNanoseconds + _breakNanoseconds;
            Interlocked.Increment(ref _openings);
        }
    }

    /// <summary>After the break, lets the next exchange through as a probe.</summary>
    private void ProbeIfBreakOver()
    {
        if (_isolatedUntilNs != 0 && _clock.NowNanoseconds >= _isolatedUntilNs)
        {
            _circuit.CloseAsync().GetAwaiter().GetResult();
            _isolatedUntilNs = 0;
        }
    }

    private static void SpinFor(int microseconds)
    {
        if (microseconds <= 0) return;
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + microseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
    }
}

/// <summary>A device returned NaN or infinity: treated like a transient I/O error (retried, counted, never observed).</summary>
public sealed class NonFiniteReadingException(string device) : Exception($"device '{device}' returned a non-finite reading");
