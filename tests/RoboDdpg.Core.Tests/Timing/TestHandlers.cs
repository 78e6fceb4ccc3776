using RoboDdpg.Core.Timing;

namespace RoboDdpg.Core.Tests.Timing;

/// <summary>Records every call; optional actions per tick (simulate work by advancing a fake clock, throw, stop…).</summary>
internal sealed class RecordingHandler(Action<TickInfo>? onTick = null) : IRealtimeTickHandler
{
    private readonly object _gate = new();

    public List<TickInfo> Ticks { get; } = [];
    public List<string> Events { get; } = [];
    public int? StartThreadId { get; private set; }
    public int? StopThreadId { get; private set; }
    public int? TickThreadId { get; private set; }
    public string? TickThreadName { get; private set; }
    public Action? OnStartAction { get; init; }
    public Action? OnStopAction { get; init; }

    public int TickCount
    {
        get { lock (_gate) return Ticks.Count; }
    }

    public void OnStart()
    {
        StartThreadId = Environment.CurrentManagedThreadId;
        lock (_gate) Events.Add("start");
        OnStartAction?.Invoke();
    }

    public void OnTick(in TickInfo tick)
    {
        TickThreadId = Environment.CurrentManagedThreadId;
        TickThreadName = Thread.CurrentThread.Name;
        lock (_gate)
        {
            Ticks.Add(tick);
            Events.Add("tick");
        }
        onTick?.Invoke(tick);
    }

    public void OnStop()
    {
        StopThreadId = Environment.CurrentManagedThreadId;
        lock (_gate) Events.Add("stop");
        OnStopAction?.Invoke();
    }
}

/// <summary>Does nothing: the loop's own cost.</summary>
internal sealed class NoOpHandler : IRealtimeTickHandler
{
    public void OnTick(in TickInfo tick) { }
}
