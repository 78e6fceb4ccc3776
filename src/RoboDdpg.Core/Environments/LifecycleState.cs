namespace RoboDdpg.Core.Environments;

/// <summary>
/// Lifecycle of an environment, after ros2_control's hardware components:
/// Unconfigured → (Configure) → Inactive → (Activate) → Active → (Deactivate) → Inactive.
/// Any fault ends in <see cref="Faulted"/> after the safe action was written.
/// </summary>
public enum LifecycleState
{
    Unconfigured,
    Inactive,
    Active,
    Faulted,
    Disposed,
}
