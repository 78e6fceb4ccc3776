namespace RoboDdpg.Core.Environments;

/// <summary>Static description of an environment: what it observes, what it accepts, how fast it runs.</summary>
/// <param name="Name">Registry name, e.g. "pendulum".</param>
/// <param name="Observation">Observation vector layout and bounds.</param>
/// <param name="Action">Action vector layout and (finite) bounds.</param>
/// <param name="SafeAction">The action that brings the plant to rest (written on deactivate, faults, e-stop).</param>
/// <param name="ControlPeriodSeconds">Time one <see cref="IEnvironment.Step"/> represents.</param>
/// <param name="MaxEpisodeSteps">Time limit after which a step reports truncation; null for none.</param>
public sealed record EnvironmentSpec(
    string Name,
    BoxSpec Observation,
    BoxSpec Action,
    IReadOnlyList<float> SafeAction,
    double ControlPeriodSeconds,
    int? MaxEpisodeSteps)
{
    public int ObservationSize => Observation.Size;
    public int ActionSize => Action.Size;
}
