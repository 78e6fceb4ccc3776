using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Tests.Description;

/// <summary>
/// The loader trusts the catalog's defaults (it fills them in unchecked), so they must satisfy their own schema; and
/// every device type must load from a description giving only its required settings.
/// </summary>
public sealed class DeviceCatalogSchemaTests
{
    public static TheoryData<string> TypeNames => new(DeviceCatalog.Types.Keys);

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Defaults_satisfy_their_own_setting_specs(string typeName)
    {
        foreach (var spec in DeviceCatalog.Types[typeName].Settings.Where(s => s.Default is not null))
        {
            var value = spec.Default!;
            switch (spec.Kind)
            {
                case DeviceSettingKind.Integer or DeviceSettingKind.GpioPin or DeviceSettingKind.I2cAddress:
                    Assert.IsType<long>(value);
                    break;
                case DeviceSettingKind.Number:
                    Assert.IsType<double>(value);
                    break;
                case DeviceSettingKind.Flag:
                    Assert.IsType<bool>(value);
                    break;
                default:
                    Assert.IsType<string>(value);
                    break;
            }
            if (value is long or double)
            {
                var x = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(x >= (spec.Min ?? double.NegativeInfinity) && x <= (spec.Max ?? double.PositiveInfinity),
                    $"{typeName}.{spec.Name} default {x} outside [{spec.Min}, {spec.Max}]");
            }
            if (spec.Choices is { } choices) Assert.Contains((string)value, choices);
            Assert.Null(spec.Check?.Invoke(value));
        }
    }

    /// <summary>Values for each type's required settings (a new required setting must be added here).</summary>
    private static readonly Dictionary<string, string> RequiredSamples = new()
    {
        ["pca9685-dc-motor"] = "\"motor\": 2",
        ["hbridge-dc-motor"] = "\"pwm_channel\": 0, \"in1_pin\": 5, \"in2_pin\": 6",
        ["quadrature-encoder"] = "\"pin_a\": 17, \"pin_b\": 27, \"counts_per_revolution\": 2048",
        ["mpu6050"] = "",
        ["ads1115"] = "",
        ["odrive"] = "\"port\": \"/dev/ttyUSB0\"",
    };

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Each_type_loads_with_only_its_required_settings_and_gets_every_default(string typeName)
    {
        var type = DeviceCatalog.Types[typeName];
        var sample = RequiredSamples[typeName];
        Assert.Equal(type.Settings.Where(s => s.Required).Select(s => $"\"{s.Name}\"").Order(),
            sample.Split(", ", StringSplitOptions.RemoveEmptyEntries).Select(s => s.Split(':')[0]).Order());
        var settings = sample.Length == 0 ? "" : ", " + sample;
        // Helpers give the observation an input and the action an output when the type has none of its own.
        var json = $$"""
            {
              "name": "one-device", "control_rate_hz": 50,
              "devices": {
                "dev": { "type": "{{typeName}}"{{settings}} },
                "probe": { "type": "mpu6050", "address": "0x69" },
                "m": { "type": "pca9685-dc-motor", "motor": 1, "address": "0x6F" },
              },
              "observation": [ { "name": "x", "signal": "probe.gyro_z", "low": -1, "high": 1 } ],
              "action": [ { "name": "u", "command": "m.duty", "low": -1, "high": 1 } ],
              "safe_action": [0],
              "reward": [ { "action": "u", "weight": -1 } ]
            }
            """;

        var loaded = RobotDescriptionLoader.Parse(json, "one.json").Devices[0];

        Assert.Equal((typeName, 4), (loaded.Type, loaded.Location.Line));
        Assert.Equal(type.Settings.Select(s => s.Name).Order(), loaded.Settings.Values.Keys.Order());
        foreach (var spec in type.Settings.Where(s => !s.Required))
            Assert.Equal(spec.Default, loaded.Settings.Values[spec.Name]);
    }
}
