namespace RoboDdpg.Core.Safety;

/// <summary>
/// A consistent snapshot of a <see cref="SafetyLayer"/>'s counters, all taken at the same tick boundary.
/// Each counter counts ticks on which that intervention happened (a tick that clamps two entries counts once);
/// all are monotonically increasing for the life of the layer.
/// </summary>
/// <param name="Ticks">Calls to <see cref="SafetyLayer.Filter"/>.</param>
/// <param name="Clamped">Ticks on which at least one entry was clamped into the action bounds.</param>
/// <param name="RateLimited">Ticks on which at least one entry was limited to <see cref="SafetyOptions.MaxDeltaPerTick"/>.</param>
/// <param name="NonFinite">Ticks whose proposal held a NaN or infinity and was replaced by the safe action.</param>
/// <param name="Watchdog">Ticks forced to the safe action because observations were stale.</param>
/// <param name="EmergencyStop">Ticks forced to the safe action by the emergency stop.</param>
public readonly record struct SafetyCounters(
    long Ticks,
    long Clamped,
    long RateLimited,
    long NonFinite,
    long Watchdog,
    long EmergencyStop)
{
    /// <summary>All interventions; a tick that was both clamped and rate limited adds 2.</summary>
    public long Total => Clamped + RateLimited + NonFinite + Watchdog + EmergencyStop;
}
