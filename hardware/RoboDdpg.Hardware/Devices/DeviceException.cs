namespace RoboDdpg.Hardware.Devices;

/// <summary>A device problem that retrying will not fix (absent bus or device, wrong identity, refused setting).</summary>
public class DeviceException(string device, string problem, Exception? inner = null)
    : Exception($"device '{device}': {problem}", inner)
{
    public string Device { get; } = device;
}

/// <summary>
/// A malformed answer from a device (bad checksum, unparseable line, out-of-protocol byte): transient, the runtime
/// retries it like an I/O error.
/// </summary>
public sealed class DeviceProtocolException(string device, string problem) : IOException($"device '{device}': {problem}")
{
    public string Device { get; } = device;
}
