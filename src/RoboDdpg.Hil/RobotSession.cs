using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Robot;

namespace RoboDdpg.Hil;

/// <summary>
/// A described robot ready to configure: its description, the buses its drivers use (the board's real ones, or
/// emulated devices driven by the description's twin) and the environment over them. Disposing releases all three.
/// </summary>
public sealed class RobotSession : IDisposable
{
    private readonly IDisposable? _buses;

    private RobotSession(RobotDescription description, HardwareEnvironment environment, IDisposable? buses, EmulatedRobot? emulation)
    {
        Description = description;
        Environment = environment;
        Emulation = emulation;
        _buses = buses;
    }

    public RobotDescription Description { get; }

    /// <summary>The robot behind the environment interface, not yet configured.</summary>
    public HardwareEnvironment Environment { get; }

    /// <summary>The emulated devices and their plant, when emulating.</summary>
    public EmulatedRobot? Emulation { get; }

    /// <summary>Loads a description and builds the robot on real or emulated buses.</summary>
    /// <exception cref="RobotDescriptionException">The description is invalid (file:line: problem).</exception>
    /// <exception cref="EmulationException">--emulate for a description the emulator cannot serve.</exception>
    public static RobotSession Open(string descriptionPath, bool emulate, IMonotonicClock? clock = null)
    {
        var description = RobotDescriptionLoader.Load(descriptionPath);
        return Open(description, emulate, clock);
    }

    public static RobotSession Open(RobotDescription description, bool emulate, IMonotonicClock? clock = null)
    {
        clock ??= new MonotonicClock();
        if (emulate)
        {
            var emulation = EmulatedRobot.Create(description, clock);
            return new RobotSession(description, new HardwareEnvironment(description, emulation, clock), emulation, emulation);
        }
        var buses = new LinuxBusProvider();
        return new RobotSession(description, new HardwareEnvironment(description, buses, clock), buses, null);
    }

    public void Dispose()
    {
        Environment.Dispose(); // writes the safe action if still active, stops the devices
        _buses?.Dispose();
    }
}

/// <summary>A description asks for an emulation this build cannot provide (unknown twin, device without emulator).</summary>
public sealed class EmulationException(string message, Exception? inner = null) : Exception(message, inner);
