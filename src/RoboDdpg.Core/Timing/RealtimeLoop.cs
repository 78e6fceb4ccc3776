using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace RoboDdpg.Core.Timing;

/// <summary>
/// A fixed-rate real-time loop ("pacer") on a dedicated thread: it calls an <see cref="IRealtimeTickHandler"/> once per
/// period and measures how well it keeps time. The RL tick body lives in the handler; this class only paces.
/// <para><b>Schedule.</b> Tick k is due at t0 + k·T on the monotonic clock, computed from t0 every time rather than by
/// adding T to the last wake-up, so lateness never accumulates: the loop cannot drift, whatever the jitter.</para>
/// <para><b>Overruns.</b> If, after a tick, the clock is already past the next due time, the loop counts an overrun,
/// skips the grid slots that have passed and resumes at the first future slot t0 + m·T. It never bursts several ticks
/// back to back to catch up (a plant wants evenly spaced actions, not a burst of stale ones) and never shifts the grid
/// (which would drift). The handler learns of the skipped slots from <see cref="TickInfo.MissedTicks"/>; meanwhile the
/// plant holds the last action.</para>
/// <para><b>Waiting.</b> A plain sleep wakes late by the kernel's timer and scheduling latency (2-core dev VM, normal
/// priority, other load: p50 ≈ 30 µs, p99 ≈ 0.1–0.4 ms, p99.9 up to 3 ms); a pure spin is exact but burns a core and
/// at normal priority is still preempted by other processes for milliseconds. <see cref="WaitStrategy.SleepThenSpin"/>
/// sleeps until <c>SpinMargin</c> (default 500 µs) before the deadline and spins the rest: spin precision whenever the
/// sleep wakes within the margin, for the price of the margin per period. Under SCHED_FIFO wake-ups are prompt and
/// nobody preempts the loop: with a 100 µs margin 1 kHz jitter was p99 ≤ 1 µs, p99.9 ≈ 60 µs, no overruns.
/// The loop thread's timer slack is set to 1 ns (Linux' default 50 µs added ~50 µs to the median wake-up).</para>
/// <para><b>GC.</b> While the loop runs the process uses <see cref="GCLatencyMode.SustainedLowLatency"/>: blocking
/// gen-2 collections are avoided (they run in the background), so the pauses the loop sees are the short ephemeral ones.
/// The loop itself allocates nothing per tick, and reports the loop thread's allocations and the GC pauses seen after
/// warm-up, so a handler that allocates is caught.</para>
/// <para><b>Lifecycle.</b> One run per instance: <see cref="Start"/> (dedicated thread) or <see cref="RunTicks"/> (the
/// calling thread, for deterministic tests with <see cref="FakeClock"/>/<see cref="FakeWaiter"/> and for benchmarks).
/// <see cref="Stop"/> sets a flag and joins; the handler is never called after it returns. A handler exception stops
/// the loop, runs <see cref="IRealtimeTickHandler.OnStop"/> (write the safe action there) and is rethrown from
/// <see cref="Stop"/>/<see cref="Join()"/>; it never kills the process.</para>
/// <para>For the platform floor, run an empty handler: <see cref="RealtimeLoopBenchmark.MeasureFloor"/>.</para>
/// </summary>
public sealed class RealtimeLoop : IDisposable
{
    private const int Created = 0, Running = 1, Ended = 2;

    private enum Phase { Setup, Start, Ticks, Stop }

    private readonly IRealtimeTickHandler _handler;
    private readonly IMonotonicClock _clock;
    private readonly IDeadlineWaiter _waiter;
    private readonly long _period;
    private readonly long _collectionSlack;
    private readonly LatencyHistogram _jitter = new();
    private readonly LatencyHistogram _compute = new();

    private int _state;
    private volatile bool _stopRequested;
    private volatile bool _collectionRequested;
    private long _slackCollections;
    private Thread? _thread;
    private ManualResetEventSlim? _started;
    private Phase _faultPhase;
    private volatile Exception? _fault;
    private string? _faultMessage;

    // Written by the loop thread only, read by any thread (torn reads are acceptable for live display).
    private long _totalTicks;
    private long _measuredTicks;
    private long _overruns;
    private long _missedTicks;
    private long _allocatedBytes;
    private int _gcCount;
    private long _gcPauseMaxTicks;
    private long _gcPauseTotalTicks;

    // Loop-thread-only measurement state.
    private bool _measuring;
    private long _allocatedBaseline;
    private int _gcCountBaseline;
    private long _gcPauseBaseline;
    private long _gcPauseLast;

    /// <param name="handler">The tick body.</param>
    /// <param name="options">Rate, wait strategy, scheduling… (validated here).</param>
    /// <param name="clock">Defaults to <see cref="MonotonicClock.Instance"/>.</param>
    /// <param name="waiter">Defaults to the waiter for <see cref="RealtimeLoopOptions.WaitStrategy"/>; a <see cref="FakeClock"/> needs a <see cref="FakeWaiter"/>.</param>
    public RealtimeLoop(IRealtimeTickHandler handler, RealtimeLoopOptions options,
        IMonotonicClock? clock = null, IDeadlineWaiter? waiter = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (clock is FakeClock && waiter is null)
            throw new ArgumentException("a FakeClock only moves when told: pass a FakeWaiter as well", nameof(waiter));
        _handler = handler;
        Options = options;
        _clock = clock ?? MonotonicClock.Instance;
        _waiter = waiter ?? DeadlineWaiter.Create(options.WaitStrategy, _clock, options.SpinMargin);
        _period = options.PeriodNanoseconds;
        _collectionSlack = options.CollectionSlack.Ticks * 100;
    }

    public RealtimeLoopOptions Options { get; }

    public long PeriodNanoseconds => _period;

    /// <summary>True from <see cref="Start"/>/<see cref="RunTicks"/> until the loop has ended.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == Running;

    /// <summary>True once <see cref="Stop"/>/<see cref="RequestStop"/> was called.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>
    /// Asks for one gen-0 collection at the loop's next slack (any thread): after a tick, on the loop thread and at its
    /// priority, when at least <see cref="RealtimeLoopOptions.CollectionSlack"/> remains before the next tick. A process
    /// whose other threads allocate (a messaging client) collects there, at a moment it chose, instead of wherever the
    /// allocator runs out: the collection never interrupts a tick's work, and delays the next tick only if it outlasts
    /// the slack (set <see cref="RealtimeLoopOptions.CollectionSlack"/> to the collections' measured pause). A request
    /// waits while ticks leave no slack.
    /// </summary>
    public void RequestCollection() => _collectionRequested = true;

    /// <summary>The exception that stopped the loop (the handler's, or the setup's), or null.</summary>
    public Exception? Fault => _fault;

    /// <summary>A snapshot of the statistics; safe to call from any thread at any time.</summary>
    public RealtimeLoopStats Stats
    {
        get
        {
            var measured = Volatile.Read(ref _measuredTicks);
            var missed = Volatile.Read(ref _missedTicks);
            var achieved = measured == 0 ? 0 : Options.RateHz * measured / (measured + missed);
            return new RealtimeLoopStats(
                Options.RateHz, _period, Volatile.Read(ref _totalTicks), measured, Volatile.Read(ref _overruns), missed,
                achieved, _jitter.Summarize(), _compute.Summarize(), Volatile.Read(ref _allocatedBytes),
                Volatile.Read(ref _gcCount), Volatile.Read(ref _gcPauseMaxTicks) / (double)TimeSpan.TicksPerMillisecond,
                Volatile.Read(ref _gcPauseTotalTicks) / (double)TimeSpan.TicksPerMillisecond, Volatile.Read(ref _slackCollections));
        }
    }

    /// <summary>Copies the start-jitter histogram (|start − scheduled| per tick after warm-up) into <paramref name="destination"/>.</summary>
    public void CopyJitterHistogram(LatencyHistogram destination) => _jitter.CopyTo(destination);

    /// <summary>Copies the compute-time histogram (handler duration per tick after warm-up) into <paramref name="destination"/>.</summary>
    public void CopyComputeHistogram(LatencyHistogram destination) => _compute.CopyTo(destination);

    /// <summary>
    /// Starts the loop thread and returns once it has applied its scheduling and affinity and the handler's
    /// <see cref="IRealtimeTickHandler.OnStart"/> has run. Throws <see cref="RealtimeSchedulingException"/> when the
    /// scheduling or affinity cannot be set (e.g. EPERM), <see cref="RealtimeLoopFaultException"/> when OnStart threw.
    /// </summary>
    public void Start()
    {
        // Everything allocated while the process set up (configuration, networks, buffers, the messaging client) is
        // still in gen0: the first collection during the loop would have to mark and promote all of it, a pause of
        // several ms. Collect and compact once now, while nothing is being controlled, so the loop only ever meets
        // gen0 collections of short-lived garbage.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        BeginRun();
        _started = new ManualResetEventSlim(false);
        var thread = new Thread(() => RunSession(long.MaxValue, dedicatedThread: true))
        {
            Name = Options.ThreadName,
            IsBackground = false, // the process must not exit under a running control loop; Stop() it
        };
        _thread = thread;
        thread.Start();
        _started.Wait();
        if (_fault is { } fault && _faultPhase < Phase.Ticks)
        {
            thread.Join();
            if (_faultPhase == Phase.Setup) ExceptionDispatchInfo.Throw(fault);
            ThrowIfFaulted();
        }
    }

    /// <summary>
    /// Runs up to <paramref name="count"/> ticks on the calling thread (fewer if stopped from the handler) with the same
    /// code path as the loop thread, but without touching this thread's scheduling, affinity or the GC latency mode.
    /// OnStart and OnStop are called. Throws <see cref="RealtimeLoopFaultException"/> if the handler threw.
    /// </summary>
    public void RunTicks(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        BeginRun();
        RunSession(count, dedicatedThread: false);
        ThrowIfFaulted();
    }

    /// <summary>Asks the loop to end without waiting: no tick starts after the current one. Safe from any thread.</summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>
    /// Stops the loop and waits for the thread to end (after the current tick and OnStop); the handler is never called
    /// after this returns. Throws <see cref="RealtimeLoopFaultException"/> if the handler threw. Called from the handler
    /// itself (or while <see cref="RunTicks"/> runs) it only requests the stop and returns (the loop ends after this tick).
    /// </summary>
    public void Stop()
    {
        RequestStop();
        Interlocked.CompareExchange(ref _state, Ended, Created); // never started: it never will
        var thread = _thread;
        if (thread == Thread.CurrentThread) return;
        if (thread is null && Volatile.Read(ref _state) == Running) return; // RunTicks, called from its handler
        thread?.Join();
        ThrowIfFaulted();
    }

    /// <summary>Waits until the loop ends on its own (a fault) or through another thread's stop; rethrows a fault.</summary>
    public void Join() => Join(Timeout.InfiniteTimeSpan);

    /// <summary>Like <see cref="Join()"/> with a timeout; false if the loop is still running.</summary>
    public bool Join(TimeSpan timeout)
    {
        var thread = _thread;
        if (thread == Thread.CurrentThread)
            throw new InvalidOperationException("the loop thread cannot join itself; call RequestStop()");
        if (thread is null)
        {
            if (Volatile.Read(ref _state) != Ended) throw new InvalidOperationException("the loop was not started with Start()");
        }
        else if (!thread.Join(timeout))
        {
            return false;
        }
        ThrowIfFaulted();
        return true;
    }

    /// <summary>Stops and waits like <see cref="Stop"/> but never throws; a fault stays in <see cref="Fault"/>.</summary>
    public void Dispose()
    {
        RequestStop();
        Interlocked.CompareExchange(ref _state, Ended, Created);
        var thread = _thread;
        if (thread == Thread.CurrentThread) return; // from the handler: the loop thread still has to finish
        thread?.Join();
        _started?.Dispose();
    }

    private void BeginRun()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Created) != Created)
            throw new InvalidOperationException("a RealtimeLoop runs once; create a new one to run again");
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault) throw new RealtimeLoopFaultException(_faultMessage ?? fault.Message, fault);
    }

    private void RunSession(long maxTicks, bool dedicatedThread)
    {
        GCLatencyMode? previousMode = null;
        var phase = Phase.Setup;
        try
        {
            if (dedicatedThread)
            {
                ApplyThreadSettings();
                if (Options.GcLatencyMode is { } mode)
                {
                    previousMode = GCSettings.LatencyMode;
                    GCSettings.LatencyMode = mode;
                }
            }
            phase = Phase.Start;
            _handler.OnStart();
            phase = Phase.Ticks;
            _started?.Set(); // Start() may return now
            RunTicksCore(maxTicks);
            FinishMeasuring();
            phase = Phase.Stop;
            _handler.OnStop();
        }
        catch (Exception ex)
        {
            SetFault(ex, phase);
            if (phase == Phase.Ticks)
            {
                FinishMeasuring();
                try { _handler.OnStop(); } // the plant owner writes the safe action here
                catch (Exception stopException) { SetFault(stopException, Phase.Stop); }
            }
        }
        finally
        {
            if (previousMode is { } mode)
            {
                try { GCSettings.LatencyMode = mode; }
                catch (InvalidOperationException) { } // a no-GC region was entered meanwhile: leave it
            }
            Volatile.Write(ref _state, Ended);
            _started?.Set(); // also on a setup failure, so Start() can report it
        }
    }

    private void ApplyThreadSettings()
    {
        if (Options.CpuAffinity is { } cpus) ThreadScheduling.SetAffinity(cpus);
        if (Options.Scheduling == SchedulingPolicy.Fifo) ThreadScheduling.SetFifo(Options.Priority);
        // Best effort: with the default 50 µs slack every sleep could wake up to 50 µs late for nothing.
        if (Options.WaitStrategy != WaitStrategy.Spin) ThreadScheduling.TrySetTimerSlack(1);
    }

    private void SetFault(Exception exception, Phase phase)
    {
        var message = phase switch
        {
            Phase.Setup => $"real-time loop setup failed: {exception.Message}",
            Phase.Start => $"tick handler OnStart failed: {exception.Message}",
            Phase.Ticks => $"tick handler failed at tick {Volatile.Read(ref _totalTicks)}: {exception.Message}",
            _ => $"tick handler OnStop failed: {exception.Message}",
        };
        if (_fault is { } first)
        {
            // A tick failed and then OnStop failed too: keep both.
            _faultMessage = $"{_faultMessage}; then {message}";
            _fault = new AggregateException(first, exception);
            return;
        }
        _faultMessage = message;
        _faultPhase = phase;
        _fault = exception;
    }

    // The hot loop. AggressiveOptimization: fully optimized from the first tick (no tier-0 code or OSR switch mid-run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTicksCore(long maxTicks)
    {
        var clock = _clock;
        var waiter = _waiter;
        var handler = _handler;
        var period = _period;
        var warmup = Options.WarmupTicks;
        if (warmup == 0) BeginMeasuring();

        var t0 = clock.NowNanoseconds; // tick 0 is due at once
        long slot = 0, index = 0, missedBefore = 0;
        while (index < maxTicks && !_stopRequested)
        {
            var due = t0 + slot * period;
            waiter.WaitUntil(due);
            if (_stopRequested) break; // Stop() during the wait: no further tick

            var start = clock.NowNanoseconds;
            var tick = new TickInfo(index, due, start, period, missedBefore);
            handler.OnTick(in tick);
            var end = clock.NowNanoseconds;

            index++;
            Volatile.Write(ref _totalTicks, index);
            slot++;
            long missed = 0;
            if (end > t0 + slot * period)
            {
                // Overrun: resume at the first slot that has not begun yet, ceil((end − t0)/T), skipping the ones
                // already past: no catch-up burst, and the grid (t0 + m·T) is unchanged so nothing drifts.
                var resume = (end - t0 + period - 1) / period;
                missed = resume - slot;
                slot = resume;
            }
            missedBefore = missed;

            if (_measuring) RecordTick(Math.Abs(start - due), end - start, missed);
            else if (index == warmup) BeginMeasuring();

            // Slack work: a requested collection, if the next tick is far enough away (its pause shows in that tick's figures).
            if (_collectionRequested && t0 + slot * period - clock.NowNanoseconds >= _collectionSlack)
            {
                _collectionRequested = false;
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                Volatile.Write(ref _slackCollections, _slackCollections + 1);
            }
        }
    }

    private void BeginMeasuring()
    {
        _gcCountBaseline = GC.CollectionCount(0);
        _gcPauseBaseline = _gcPauseLast = GC.GetTotalPauseDuration().Ticks;
        _allocatedBaseline = GC.GetAllocatedBytesForCurrentThread();
        _measuring = true;
    }

    private void RecordTick(long jitter, long compute, long missed)
    {
        _jitter.Record(jitter);
        _compute.Record(compute);
        if (missed > 0)
        {
            Volatile.Write(ref _overruns, _overruns + 1);
            Volatile.Write(ref _missedTicks, _missedTicks + missed);
        }
        Volatile.Write(ref _measuredTicks, _measuredTicks + 1);
        UpdateGcAndAllocation();
    }

    // GC.GetGCMemoryInfo would give per-GC pauses but allocates (~300 B); the total-pause counter does not, and its
    // growth over one tick interval is that interval's pause (exactly one GC's, unless several fell into it).
    private void UpdateGcAndAllocation()
    {
        var pause = GC.GetTotalPauseDuration().Ticks;
        if (pause != _gcPauseLast)
        {
            var delta = pause - _gcPauseLast;
            if (delta > _gcPauseMaxTicks) Volatile.Write(ref _gcPauseMaxTicks, delta);
            _gcPauseLast = pause;
            Volatile.Write(ref _gcPauseTotalTicks, pause - _gcPauseBaseline);
            Volatile.Write(ref _gcCount, GC.CollectionCount(0) - _gcCountBaseline);
        }
        Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - _allocatedBaseline);
    }

    private void FinishMeasuring()
    {
        if (_measuring) UpdateGcAndAllocation();
    }
}
