namespace RoboDdpg.Core.Timing;

/// <summary>
/// The body of a <see cref="RealtimeLoop"/>. All three methods run on the loop thread, so thread-affine setup
/// (TorchSharp thread counts, buffers, a warm-up inference) belongs in <see cref="OnStart"/>.
/// <para>
/// <see cref="OnTick"/> is the hot path: it must not allocate (the loop reports allocations after warm-up) and should
/// finish well inside one period. If it overruns, the loop skips the grid slots that already passed instead of
/// bursting to catch up; the plant holds the last action through them, and the next tick reports how many slots were
/// skipped in <see cref="TickInfo.MissedTicks"/>.
/// </para>
/// <para>
/// If any method throws, the loop stops, keeps the exception in <see cref="RealtimeLoop.Fault"/> and rethrows it
/// (wrapped) from <see cref="RealtimeLoop.Stop"/>/<see cref="RealtimeLoop.Join()"/>. <see cref="OnStop"/> still runs
/// after a faulting tick: whoever owns the plant must write the safe action there
/// (e.g. <c>IEnvironment.Deactivate()</c>).
/// </para>
/// </summary>
public interface IRealtimeTickHandler
{
    /// <summary>Called once on the loop thread, after its scheduling and affinity are set, before the first tick.</summary>
    void OnStart() { }

    /// <summary>One control period's work.</summary>
    void OnTick(in TickInfo tick);

    /// <summary>
    /// Called once on the loop thread after the last tick, whenever <see cref="OnStart"/> completed — also when a tick
    /// threw. Write the safe action here.
    /// </summary>
    void OnStop() { }
}
