namespace RoboDdpg.Hardware.Devices;

/// <summary>
/// A device of the robot as the runtime sees it: named input channels it reads (SI units: rad, rad/s, m/s², A, V)
/// and named output channels it commands. Drivers wrap the dotnet/iot bindings or a serial protocol; the runtime
/// (<c>HardwareEnvironment</c>) maps channels to the observation and action vectors as the robot description says.
/// </summary>
/// <remarks>
/// Errors: <see cref="IOException"/> (I2C NACK, serial failure), <see cref="TimeoutException"/> and
/// <see cref="DeviceProtocolException"/> (bad checksum, garbage answer) are transient and retried by the runtime's
/// resilience pipeline; <see cref="DeviceException"/> is permanent (absent device, wrong identity).
/// </remarks>
public interface IRobotDevice : IDisposable
{
    /// <summary>The name the description gives the device, e.g. "arm_encoder".</summary>
    string Name { get; }

    /// <summary>Input channels in the order <see cref="Read"/> writes them, e.g. ["angle", "velocity"].</summary>
    IReadOnlyList<string> Inputs { get; }

    /// <summary>Output channels in the order <see cref="Write"/> takes them, e.g. ["duty"].</summary>
    IReadOnlyList<string> Outputs { get; }

    /// <summary>
    /// True when one <see cref="Read"/> or <see cref="Write"/> can block longer than a control tick (a serial
    /// round trip, a slow ADC conversion): the runtime then does this device's I/O on its own thread and the loop
    /// uses the last value and its age.
    /// </summary>
    bool MayBlock { get; }

    /// <summary>
    /// Opens and probes the device (identity register, firmware answer) and leaves its outputs at rest.
    /// Throws <see cref="DeviceException"/> with a one-line reason when it is absent or not what the description says.
    /// </summary>
    void Open();

    /// <summary>Reads every input into <paramref name="readings"/> (length <see cref="Inputs"/>.Count).</summary>
    void Read(Span<double> readings);

    /// <summary>Commands every output (length <see cref="Outputs"/>.Count); values are already within the description's limits.</summary>
    void Write(ReadOnlySpan<double> commands);

    /// <summary>
    /// Puts the outputs in their rest state (motor stopped, ODrive idle). Called on deactivate and after faults;
    /// best effort: it must not throw for an I/O failure (the caller has nothing better to do), only report it.
    /// </summary>
    /// <returns>True if the device confirmed the rest state was written.</returns>
    bool Stop();
}
