using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace RoboDdpg.Cli.Commands;

/// <summary>Options with range checks, so bad values are refused at parse time with a one-line message.</summary>
internal static class OptionFactory
{
    public static Option<T> Create<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    public static Option<long> AtLeast(string name, string description, long defaultValue, long minimum)
    {
        var option = Create(name, description, defaultValue);
        option.Validators.Add(r =>
        {
            if (TryGet(r, out long value) && value < minimum) r.AddError($"{name} must be at least {minimum}, got {value}");
        });
        return option;
    }

    public static Option<int> AtLeast(string name, string description, int defaultValue, int minimum)
    {
        var option = Create(name, description, defaultValue);
        option.Validators.Add(r =>
        {
            if (TryGet(r, out int value) && value < minimum) r.AddError($"{name} must be at least {minimum}, got {value}");
        });
        return option;
    }

    public static Option<double> InRange(string name, string description, double defaultValue, double minimum, double maximum, bool minimumExclusive = false)
    {
        var option = Create(name, description, defaultValue);
        option.Validators.Add(r =>
        {
            if (!TryGet(r, out double value)) return;
            var tooLow = minimumExclusive ? !(value > minimum) : !(value >= minimum);
            if (tooLow || !(value <= maximum))
            {
                var low = minimumExclusive ? "(" : "[";
                r.AddError($"{name} must be in {low}{minimum.ToString(CultureInfo.InvariantCulture)}, {maximum.ToString(CultureInfo.InvariantCulture)}], got {value.ToString(CultureInfo.InvariantCulture)}");
            }
        });
        return option;
    }

    /// <summary>--env with the registry's names; an unknown name is refused with the list of known ones.</summary>
    public static Option<string> Environment(string defaultValue = "pendulum")
    {
        var option = Create("--env", $"simulator twin to use ({string.Join(", ", Sim.EnvironmentRegistry.Names)})", defaultValue);
        option.Validators.Add(r =>
        {
            if (TryGet(r, out string? value) && !Sim.EnvironmentRegistry.Names.Contains(value!))
                r.AddError($"unknown environment '{value}' (known: {string.Join(", ", Sim.EnvironmentRegistry.Names)})");
        });
        return option;
    }

    /// <summary>--hidden "256,256": hidden layer widths; anything else is a one-line <see cref="CliError"/>.</summary>
    public static int[] ParseHidden(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new CliError($"--hidden: '{text}' is not a comma-separated list of positive widths");
        }
        return sizes;
    }

    // Validators also run for values that failed to convert; that failure is already reported, so skip them.
    private static bool TryGet<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
