namespace RoboDdpg.Core.Environments;

/// <summary>
/// Enforces the lifecycle and argument checks shared by all environments so that implementations
/// only write the physics or the device I/O.
/// </summary>
public abstract class EnvironmentBase : IEnvironment
{
    protected EnvironmentBase(EnvironmentSpec spec)
    {
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        if (spec.SafeAction.Count != spec.ActionSize)
            throw new ArgumentException($"safe action has {spec.SafeAction.Count} entries, action has {spec.ActionSize}");
        if (!spec.Action.IsFinite)
            throw new ArgumentException("action bounds must be finite");
    }

    public EnvironmentSpec Spec { get; }

    public LifecycleState State { get; private set; } = LifecycleState.Unconfigured;

    public void Configure()
    {
        RequireState(LifecycleState.Unconfigured, nameof(Configure));
        OnConfigure();
        State = LifecycleState.Inactive;
    }

    public void Activate()
    {
        RequireState(LifecycleState.Inactive, nameof(Activate));
        OnActivate();
        State = LifecycleState.Active;
    }

    public void Deactivate()
    {
        if (State != LifecycleState.Active) return;
        try
        {
            OnDeactivate();
            State = LifecycleState.Inactive;
        }
        catch
        {
            State = LifecycleState.Faulted;
            throw;
        }
    }

    public void Reset(ulong? seed, Span<float> observation)
    {
        RequireState(LifecycleState.Active, nameof(Reset));
        RequireLength(observation.Length, Spec.ObservationSize, nameof(observation));
        OnReset(seed, observation);
    }

    public StepResult Step(ReadOnlySpan<float> action, Span<float> observation)
    {
        RequireState(LifecycleState.Active, nameof(Step));
        RequireLength(action.Length, Spec.ActionSize, nameof(action));
        RequireLength(observation.Length, Spec.ObservationSize, nameof(observation));
        return OnStep(action, observation);
    }

    public void Dispose()
    {
        if (State == LifecycleState.Disposed) return;
        try
        {
            Deactivate();
        }
        finally
        {
            OnDispose();
            State = LifecycleState.Disposed;
            GC.SuppressFinalize(this);
        }
    }

    protected virtual void OnConfigure() { }
    protected virtual void OnActivate() { }

    /// <summary>Must bring the plant to rest; the default writes nothing (a simulator has nothing to stop).</summary>
    protected virtual void OnDeactivate() { }

    protected virtual void OnDispose() { }
    protected abstract void OnReset(ulong? seed, Span<float> observation);
    protected abstract StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation);

    private void RequireState(LifecycleState expected, string operation)
    {
        if (State != expected)
            throw new InvalidOperationException($"{Spec.Name}: {operation} needs state {expected}, but the environment is {State}");
    }

    private static void RequireLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} entries, expected {expected}", name);
    }
}
