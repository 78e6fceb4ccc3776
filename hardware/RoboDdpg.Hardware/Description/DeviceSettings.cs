using System.Globalization;

namespace RoboDdpg.Hardware.Description;

/// <summary>The kinds of value a device setting can hold; the kind also drives duplicate checks across devices.</summary>
public enum DeviceSettingKind
{
    Integer,
    Number,
    Flag,
    Text,

    /// <summary>A 7-bit I2C address, written as a number or a "0x68" string; (bus, address) must be unique.</summary>
    I2cAddress,

    /// <summary>A GPIO pin number (BCM numbering); unique across the robot.</summary>
    GpioPin,

    /// <summary>A serial port (/dev/ttyACM0 or ttyACM0); unique across the robot.</summary>
    SerialPort,
}

/// <summary>One setting a device type accepts. A setting without a default is required.</summary>
/// <param name="Min">Inclusive lower bound of a numeric setting.</param>
/// <param name="Max">Inclusive upper bound of a numeric setting.</param>
/// <param name="Choices">The accepted values of a text setting.</param>
/// <param name="Check">
/// A further check of a value the file gives (after kind, range and choices): returns what is wrong, phrased to follow
/// the setting's name (e.g. "must be one of …"), or null when the value is fine. Gets the stored value (long, double,
/// bool or string, as <see cref="DeviceSettings"/> holds it).
/// </param>
public sealed record DeviceSettingSpec(
    string Name, DeviceSettingKind Kind, string Description, object? Default = null, double? Min = null, double? Max = null,
    IReadOnlyList<string>? Choices = null, Func<object, string?>? Check = null)
{
    public bool Required => Default is null;
}

/// <summary>
/// The validated settings of one device, every optional one filled with its default. Values are stored as
/// long (Integer, I2cAddress, GpioPin), double (Number), bool (Flag) or string (Text, SerialPort).
/// </summary>
public sealed class DeviceSettings(IReadOnlyDictionary<string, object> values)
{
    public IReadOnlyDictionary<string, object> Values { get; } = values;

    public int GetInt(string name) => checked((int)Convert.ToInt64(Get(name), CultureInfo.InvariantCulture));

    public double GetDouble(string name) => Convert.ToDouble(Get(name), CultureInfo.InvariantCulture);

    public bool GetBool(string name) => (bool)Get(name);

    public string GetString(string name) => (string)Get(name);

    private object Get(string name) => Values.TryGetValue(name, out var v)
        ? v
        : throw new KeyNotFoundException($"setting '{name}' is not part of this device's schema");
}
