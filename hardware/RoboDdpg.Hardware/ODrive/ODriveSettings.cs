using RoboDdpg.Hardware.Description;

namespace RoboDdpg.Hardware.ODrive;

/// <summary>What the action entry commands on an ODrive axis.</summary>
public enum ODriveCommandMode
{
    /// <summary>Output-shaft torque in N·m (<c>c</c> command; the ODrive runs its current loop).</summary>
    Torque,

    /// <summary>Output-shaft speed in rad/s (<c>v</c> command; the ODrive runs its velocity loop).</summary>
    Velocity,
}

/// <summary>
/// The settings of one ODrive axis as the description's <c>odrive</c> device states them (see
/// <see cref="Devices.DeviceCatalog"/> for the schema and defaults).
/// </summary>
/// <param name="Port">Serial port as named in the description (resolved through the bus provider).</param>
/// <param name="Baud">UART baud rate; USB CDC ignores it.</param>
/// <param name="Axis">0 or 1.</param>
/// <param name="Checksum">Append the protocol's checksum to commands and require it on answers.</param>
/// <param name="TimeoutMilliseconds">Reply timeout of one exchange.</param>
/// <param name="GearRatio">Motor turns per output turn: readings and commands are converted to the output shaft.</param>
public sealed record ODriveSettings(
    string Port,
    int Baud = 115200,
    int Axis = 0,
    ODriveCommandMode Mode = ODriveCommandMode.Torque,
    bool Checksum = true,
    double TimeoutMilliseconds = 20,
    double GearRatio = 1)
{
    /// <summary>The output channel name the description uses for <see cref="Mode"/>.</summary>
    public string OutputChannel => Mode == ODriveCommandMode.Torque ? "torque" : "velocity";

    /// <summary>The timeout in whole milliseconds (at least 1), as <see cref="System.IO.Ports.SerialPort"/> takes it.</summary>
    public int TimeoutWholeMilliseconds => Math.Max(1, (int)Math.Ceiling(TimeoutMilliseconds));

    /// <summary>Reads validated description settings (the loader has checked kinds, ranges and choices).</summary>
    public static ODriveSettings From(DeviceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var mode = settings.GetString("mode") switch
        {
            "torque" => ODriveCommandMode.Torque,
            "velocity" => ODriveCommandMode.Velocity,
            var other => throw new ArgumentException($"mode must be torque or velocity (got '{other}')"),
        };
        var result = new ODriveSettings(
            settings.GetString("port"),
            settings.GetInt("baud"),
            settings.GetInt("axis"),
            mode,
            settings.GetBool("checksum"),
            settings.GetDouble("timeout_ms"),
            settings.GetDouble("gear_ratio"));
        result.Validate();
        return result;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting (by its description name).</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Port)) throw new ArgumentException("port must name a serial port");
        if (Baud <= 0) throw new ArgumentException($"baud must be > 0 (got {Baud})");
        if (Axis is not (0 or 1)) throw new ArgumentException($"axis must be 0 or 1 (got {Axis})");
        if (!Enum.IsDefined(Mode)) throw new ArgumentException($"mode {Mode} is not torque or velocity");
        if (!(TimeoutMilliseconds is >= 1 and <= 60_000)) throw new ArgumentException($"timeout_ms must be in [1, 60000] (got {TimeoutMilliseconds})");
        if (!(double.IsFinite(GearRatio) && GearRatio > 0)) throw new ArgumentException($"gear_ratio must be finite and > 0 (got {GearRatio})");
    }
}
