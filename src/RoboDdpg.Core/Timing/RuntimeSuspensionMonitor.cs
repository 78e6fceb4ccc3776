using System.Diagnostics.Tracing;

namespace RoboDdpg.Core.Timing;

/// <summary>What a <see cref="RuntimeSuspensionMonitor"/> counted.</summary>
/// <param name="Count">Times the runtime stopped every managed thread of this process.</param>
/// <param name="ForGarbageCollection">Those of them for a garbage collection.</param>
/// <param name="MaxMilliseconds">The longest, from the start of suspending to the end of restarting.</param>
/// <param name="TotalMilliseconds">All of them together.</param>
public readonly record struct RuntimeSuspensionCounts(long Count, long ForGarbageCollection, double MaxMilliseconds, double TotalMilliseconds);

/// <summary>
/// Counts the times the .NET runtime suspends every managed thread of this process (the control loop's too): for a
/// garbage collection, but also for other runtime work (the GC counters miss those). It listens to the runtime's own
/// suspend/restart events (the GC keyword at informational level, no allocation-tick events) on the event
/// listener's thread, so a real-time loop can prove that nothing in its process stopped it. Create it after the loop
/// started (<see cref="RealtimeLoop.Start"/> collects once on purpose) and dispose it when done.
/// </summary>
public sealed class RuntimeSuspensionMonitor : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Lock _gate = new();
    private DateTime _suspendBegan;
    private bool _forGc;
    private long _count;
    private long _forGarbageCollection;
    private double _max;
    private double _total;

    public RuntimeSuspensionCounts Counts
    {
        get { lock (_gate) return new RuntimeSuspensionCounts(_count, _forGarbageCollection, _max, _total); }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource) EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var name = eventData.EventName;
        if (name is null) return;
        if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
        {
            _suspendBegan = eventData.TimeStamp;
            // Reason: 1 = for a GC, 6 = for a GC's preparation; the others are the runtime's own work (e.g. code patching).
            _forGc = eventData.Payload is { Count: > 0 } payload && Convert.ToInt64(payload[0], System.Globalization.CultureInfo.InvariantCulture) is 1 or 6;
        }
        else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && _suspendBegan != default)
        {
            var milliseconds = (eventData.TimeStamp - _suspendBegan).TotalMilliseconds;
            _suspendBegan = default;
            lock (_gate)
            {
                _count++;
                if (_forGc) _forGarbageCollection++;
                _max = Math.Max(_max, milliseconds);
                _total += milliseconds;
            }
        }
    }
}
