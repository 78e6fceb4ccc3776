namespace RoboDdpg.Core.Environments;

/// <summary>What one <see cref="IRealtimePlant.Read"/> produced besides the observation.</summary>
/// <param name="Step">Reward and episode end of the transition that the last written action caused.</param>
/// <param name="Fresh">
/// False when some reading is older than its description allows (a device failed or its I/O thread lags): the
/// observation holds the last good values, must not be learned from, and feeds the safety layer's watchdog.
/// </param>
/// <param name="Fault">
/// Non-null when a device has stayed broken past the fault policy's limit: the loop must go to the safe action,
/// halt learning and report this text.
/// </param>
public readonly record struct PlantReading(StepResult Step, bool Fresh, string? Fault);

/// <summary>
/// A plant that evolves in real time, such as robot hardware or emulated devices: the action written at tick k acts
/// until tick k+1, when the observation it led to is read. A control loop uses <see cref="Read"/> and
/// <see cref="Write"/> (ros2_control's read → update → write) instead of <see cref="IEnvironment.Step"/>, which on
/// such a plant can only write, wait a control period, then read.
/// </summary>
/// <remarks>
/// <see cref="IEnvironment.Reset"/> on a real plant moves nothing: it starts a new episode from wherever the robot
/// is (episodes are time-limited segments of a continuing task, cut by truncation, which the learner bootstraps).
/// </remarks>
public interface IRealtimePlant : IEnvironment
{
    /// <summary>Reads the sensors into <paramref name="observation"/>. Loop thread; must not block on slow devices.</summary>
    PlantReading Read(Span<float> observation);

    /// <summary>Commands the actuators (the action has been through the safety layer). Loop thread; must not block.</summary>
    void Write(ReadOnlySpan<float> action);
}
