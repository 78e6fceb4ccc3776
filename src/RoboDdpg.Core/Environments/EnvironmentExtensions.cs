namespace RoboDdpg.Core.Environments;

public static class EnvironmentExtensions
{
    /// <summary>Configures and activates as needed: the usual start for a simulator. Returns the environment.</summary>
    public static T Start<T>(this T environment) where T : IEnvironment
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.State == LifecycleState.Unconfigured) environment.Configure();
        if (environment.State == LifecycleState.Inactive) environment.Activate();
        if (environment.State != LifecycleState.Active)
            throw new InvalidOperationException($"{environment.Spec.Name}: cannot start from state {environment.State}");
        return environment;
    }
}
