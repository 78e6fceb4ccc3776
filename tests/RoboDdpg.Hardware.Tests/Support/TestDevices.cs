using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Tests.Support;

/// <summary>Device descriptions as the loader would produce them: the given settings, every other one at its catalog default.</summary>
internal static class TestDevices
{
    public static DeviceDescription Describe(string type, params (string Name, object Value)[] settings)
    {
        var spec = DeviceCatalog.Types[type];
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var setting in spec.Settings)
        {
            if (setting.Default is { } fallback) values[setting.Name] = fallback;
        }
        foreach (var (name, value) in settings)
        {
            var setting = spec.Settings.Single(s => s.Name == name);
            values[name] = setting.Kind switch
            {
                DeviceSettingKind.Number => Convert.ToDouble(value),
                DeviceSettingKind.Integer or DeviceSettingKind.I2cAddress or DeviceSettingKind.GpioPin => Convert.ToInt64(value),
                _ => value,
            };
        }
        foreach (var setting in spec.Settings)
        {
            if (!values.ContainsKey(setting.Name)) throw new ArgumentException($"required setting '{setting.Name}' missing");
        }
        return new DeviceDescription("dut", type, new DeviceSettings(values), new SourceLocation("test.json", 1));
    }
}
