using System.CommandLine;
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

/// <summary>
/// <c>--robot FILE</c> and <c>--emulate</c>, shared by the commands that drive a plant (<c>run</c>, <c>hil</c>,
/// <c>actor</c>): a twin from <c>--env</c>, or the described robot on its real or emulated devices.
/// </summary>
internal sealed class PlantOptionSet
{
    public readonly Option<string?> Robot = OptionFactory.Create<string?>("--robot", "robot description file (JSON): drive the described robot instead of a twin", null);
    public readonly Option<bool> Emulate = OptionFactory.Create("--emulate", "with --robot: emulated devices driven by the description's twin instead of /dev/i2c-*, GPIO and /dev/tty*", false);

    public void AddTo(Command command)
    {
        command.Options.Add(Robot);
        command.Options.Add(Emulate);
    }

    /// <summary>The robot description path, or null for a twin; contradictory options are a one-line <see cref="CliError"/>.</summary>
    /// <param name="env">The command's --env option, if it has one.</param>
    public string? RobotPath(ParseResult parse, Option<string>? env)
    {
        var path = parse.GetValue(Robot);
        if (path is null && parse.GetValue(Emulate)) throw new CliError("--emulate needs --robot FILE");
        if (path is not null && env is not null && parse.GetResult(env) is { Implicit: false }) throw new CliError("give either --env or --robot, not both");
        return path;
    }

    /// <summary>Opens and starts the plant: the twin named by <paramref name="env"/>, or the robot at <paramref name="robotPath"/>.</summary>
    public Plant Open(ParseResult parse, string? robotPath, Option<string> env) =>
        robotPath is null ? Plant.Twin(parse.GetValue(env)!) : Plant.Described(robotPath, parse.GetValue(Emulate));
}
