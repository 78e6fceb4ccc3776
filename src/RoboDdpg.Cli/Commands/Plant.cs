using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Hardware.Robot;
using RoboDdpg.Hil;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// What a run drives: a twin by name, or a described robot on its real or emulated buses. Started (configured and
/// active) on creation; disposing writes the safe action and releases devices and buses.
/// </summary>
internal sealed class Plant : IDisposable
{
    private readonly RobotSession? _robot;

    private Plant(string name, IEnvironment environment, RobotSession? robot)
    {
        Name = name;
        Environment = environment;
        _robot = robot;
    }

    /// <summary>The twin's registry name or the robot's description name (used in outputs and policy metadata).</summary>
    public string Name { get; }

    public IEnvironment Environment { get; }

    /// <summary>The robot, when running one (device health and I/O timing).</summary>
    public HardwareEnvironment? Robot => _robot?.Environment;

    /// <summary>The emulated devices, with --emulate.</summary>
    public EmulatedRobot? Emulation => _robot?.Emulation;

    public static Plant Twin(string name) => new(name, Twins.Create(name, new Sim.TwinSettings()).Start(), null);

    public static Plant Described(string descriptionPath, bool emulate)
    {
        var session = RobotSession.Open(descriptionPath, emulate);
        try
        {
            session.Environment.Start();
            return new Plant(session.Description.Name, session.Environment, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a policy that cannot drive this plant before it moves anything: a twin needs a policy trained on it; a
    /// robot needs the same observation and action layout (a policy pretrained on its twin qualifies).
    /// </summary>
    public void Check(string policyPath, MlpPolicy policy, PolicyMetadata metadata)
    {
        var spec = Environment.Spec;
        if (_robot is null && metadata.Environment != Name)
            throw new CliError($"{policyPath}: policy was trained on '{metadata.Environment}', not '{Name}'");
        if (policy.ObservationSize != spec.ObservationSize || policy.ActionSize != spec.ActionSize)
            throw new CliError($"{policyPath}: policy maps {policy.ObservationSize} observations to {policy.ActionSize} actions, '{Name}' has {spec.ObservationSize} and {spec.ActionSize}");
        if (_robot is not null && (!metadata.ObservationNames.SequenceEqual(spec.Observation.Names) || !metadata.ActionNames.SequenceEqual(spec.Action.Names)))
            throw new CliError($"{policyPath}: policy observes ({string.Join(", ", metadata.ObservationNames)}) → ({string.Join(", ", metadata.ActionNames)}), " +
                               $"robot '{Name}' has ({string.Join(", ", spec.Observation.Names)}) → ({string.Join(", ", spec.Action.Names)})");
    }

    public void Dispose()
    {
        if (_robot is not null) _robot.Dispose();
        else Environment.Dispose();
    }
}
