using RoboDdpg.Hardware.Ads1115;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.HBridgeMotor;
using RoboDdpg.Hardware.Mpu6050;
using RoboDdpg.Hardware.Pca9685Motor;
using RoboDdpg.Hardware.QuadratureEncoder;
using static RoboDdpg.Hardware.Description.DeviceSettingKind;

namespace RoboDdpg.Hardware.Devices;

/// <summary>A device type a robot description can name: its settings, its channels and how to build its driver.</summary>
/// <param name="Inputs">Input channels for given settings (some depend on them, e.g. which ADC inputs are used).</param>
/// <param name="Outputs">Output channels for given settings.</param>
/// <param name="Create">Builds the driver on the given buses (not yet opened).</param>
public sealed record DeviceType(
    string Name,
    string Summary,
    IReadOnlyList<DeviceSettingSpec> Settings,
    Func<DeviceSettings, IReadOnlyList<string>> Inputs,
    Func<DeviceSettings, IReadOnlyList<string>> Outputs,
    Func<DeviceDescription, IBusProvider, IRobotDevice> Create);

/// <summary>Every device type the runtime has a driver for, by the name used in description files.</summary>
public static class DeviceCatalog
{
    private static readonly string[] None = [];

    private static readonly DeviceSettingSpec Bus = new("bus", Integer, "I2C bus number (/dev/i2c-N)", 1L, 0, 255);

    public static IReadOnlyDictionary<string, DeviceType> Types { get; } = new[]
    {
        new DeviceType("pca9685-dc-motor",
            "brushed DC motor on a PCA9685 motor HAT (Adafruit-style: TB6612 driven by PCA9685 channels)",
            [
                Bus,
                new("address", I2cAddress, "PCA9685 address", 0x60L),
                new("motor", Integer, "motor terminal M1..M4 on the HAT", null, 1, 4),
                new("pwm_frequency", Number, "PWM frequency in Hz (1526 is the PCA9685's highest)", 1526.0, 24, 1526),
                new("invert", Flag, "swap the motor's direction", false),
                new("brake_at_zero", Flag, "duty 0 shorts the motor (TB6612 short brake, as the twins model duty 0); false: it coasts", true),
            ],
            _ => None, _ => ["duty"],
            static (d, buses) => new Pca9685MotorDriver(d, buses)),
        new DeviceType("hbridge-dc-motor",
            "brushed DC motor on an H-bridge (L298N, TB6612): hardware PWM for speed, two GPIO pins for direction",
            [
                new("pwm_chip", Integer, "PWM chip (/sys/class/pwm/pwmchipN)", 0L, 0, 64),
                new("pwm_channel", Integer, "PWM channel on the chip", null, 0, 64),
                new("pwm_frequency", Number, "PWM frequency in Hz", 20000.0, 1, 100000),
                new("in1_pin", GpioPin, "direction input 1 (BCM)", null, 0, 1023),
                new("in2_pin", GpioPin, "direction input 2 (BCM)", null, 0, 1023),
                new("invert", Flag, "swap the motor's direction", false),
            ],
            _ => None, _ => ["duty"],
            static (d, buses) => new HBridgeMotorDriver(d, buses)),
        new DeviceType("quadrature-encoder",
            "incremental A/B encoder on two GPIO pins, decoded ×4 in software",
            [
                new("pin_a", GpioPin, "channel A (BCM)", null, 0, 1023),
                new("pin_b", GpioPin, "channel B (BCM)", null, 0, 1023),
                new("counts_per_revolution", Integer, "counts per output revolution after ×4 decoding", null, 4, 1 << 30),
                new("zero_offset", Number, "angle in rad at power-on (e.g. π when the arm hangs down and 0 is upright)", 0.0),
                new("invert", Flag, "count the other way", false),
                new("max_illegal_transitions", Integer, "illegal A/B transitions (missed edges) tolerated before the angle is declared lost", 16L, 0, int.MaxValue),
            ],
            _ => ["angle", "velocity"], _ => None,
            static (d, buses) => new QuadratureEncoderDriver(d, buses, buses.Clock)),
        new DeviceType("mpu6050",
            "InvenSense MPU-6050 6-axis IMU on I2C",
            [
                Bus,
                new("address", I2cAddress, "0x68, or 0x69 with AD0 high", 0x68L),
                new("accel_range_g", Integer, "accelerometer full scale: 2, 4, 8 or 16 g", 16L, 2, 16, Check: v => OneOf(v, 2, 4, 8, 16)),
                new("gyro_range_dps", Integer, "gyroscope full scale: 250, 500, 1000 or 2000 °/s", 2000L, 250, 2000, Check: v => OneOf(v, 250, 500, 1000, 2000)),
            ],
            _ => ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"], _ => None,
            static (d, buses) => new Mpu6050Driver(d, buses, buses.Clock)),
        new DeviceType("ads1115",
            "TI ADS1115 16-bit ADC on I2C: single-ended inputs in volts (motor current through a shunt, supply voltage)",
            [
                Bus,
                new("address", I2cAddress, "0x48..0x4B by the ADDR pin", 0x48L),
                new("inputs", Text, "single-ended inputs used, e.g. \"a0,a1\"", "a0", Check: AdcInputsProblem),
                new("range_volts", Number, "full-scale range: 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256", 4.096, Check: AdcRangeProblem),
                new("samples_per_second", Integer, "data rate: 8..860", 860L, 8, 860),
            ],
            s => s.GetString("inputs").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), _ => None,
            static (d, buses) => new Ads1115Driver(d, buses)),
        new DeviceType("odrive",
            "ODrive motor controller over USB/UART serial (ASCII protocol), one axis",
            [
                new("port", SerialPort, "serial port, e.g. /dev/ttyACM0"),
                new("baud", Integer, "baud rate (UART; ignored by USB CDC)", 115200L, 1200, 4_000_000),
                new("axis", Integer, "axis 0 or 1", 0L, 0, 1),
                new("mode", Text, "what the action commands: torque (N·m) or velocity (rad/s)", "torque", Choices: ["torque", "velocity"]),
                new("checksum", Flag, "append and require the protocol's optional checksum", true),
                new("timeout_ms", Number, "reply timeout of one exchange", 20.0, 1, 1000),
                new("gear_ratio", Number, "motor turns per output turn, to report the output shaft", 1.0, 1e-6, 1e6),
            ],
            _ => ["position", "velocity"], s => [s.GetString("mode")],
            ODrive.ODriveMotorDriver.Create),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private static string? OneOf(object value, params long[] allowed) =>
        Array.IndexOf(allowed, (long)value) >= 0 ? null : $"must be one of {string.Join(", ", allowed)} (got {value})";

    private static readonly string[] AdcInputs = ["a0", "a1", "a2", "a3"];
    private static readonly double[] AdcRanges = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256];

    private static string? AdcInputsProblem(object value)
    {
        var items = ((string)value).Split(',', StringSplitOptions.TrimEntries);
        var ok = items.Length > 0;
        for (var i = 0; ok && i < items.Length; i++)
            ok = Array.IndexOf(AdcInputs, items[i]) >= 0 && Array.IndexOf(items, items[i]) == i;
        return ok ? null : $"must list distinct inputs among a0, a1, a2, a3 separated by commas (got '{value}')";
    }

    private static string? AdcRangeProblem(object value) =>
        AdcRanges.Any(r => Math.Abs(r - (double)value) < 1e-9)
            ? null
            : $"must be one of {string.Join(", ", AdcRanges.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture)))} (got {((double)value).ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}
