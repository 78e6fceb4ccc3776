namespace RoboDdpg.Core.Environments;

/// <summary>
/// The contract every plant implements, whether a simulator twin (sim/) or real hardware (hardware/).
/// <para>
/// Lifecycle: <see cref="Configure"/> opens buses and validates devices, <see cref="Activate"/> arms
/// actuators, <see cref="Deactivate"/> writes the safe action and disarms. <see cref="Reset"/> and
/// <see cref="Step"/> are only valid while <see cref="LifecycleState.Active"/>.
/// </para>
/// <para>
/// Hot path: <see cref="Step"/> writes into caller-owned spans so a control loop can run without allocating.
/// Actions outside <see cref="EnvironmentSpec.Action"/> bounds are clipped by the environment.
/// </para>
/// </summary>
public interface IEnvironment : IDisposable
{
    EnvironmentSpec Spec { get; }

    LifecycleState State { get; }

    /// <summary>Prepares the plant (open devices, load parameters). Unconfigured → Inactive.</summary>
    void Configure();

    /// <summary>Arms the plant for stepping. Inactive → Active.</summary>
    void Activate();

    /// <summary>Writes the safe action and disarms. Active → Inactive. Safe to call more than once.</summary>
    void Deactivate();

    /// <summary>
    /// Starts a new episode and writes the first observation. A non-null <paramref name="seed"/> reseeds the
    /// environment's random source so that the episode sequence is reproducible.
    /// </summary>
    void Reset(ulong? seed, Span<float> observation);

    /// <summary>Applies <paramref name="action"/> for one control period and writes the next observation.</summary>
    StepResult Step(ReadOnlySpan<float> action, Span<float> observation);
}
