using System.Globalization;

namespace RoboDdpg.Sim;

/// <summary>
/// The checks twin parameter records run in their <c>Validate</c>: each throws <see cref="ArgumentException"/> naming the
/// field as the parameter file spells it and the offending value.
/// </summary>
internal static class ParameterChecks
{
    public static void Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentException($"{name} must be finite and > 0 (got {value.ToString(CultureInfo.InvariantCulture)})");
    }

    public static void NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentException($"{name} must be finite and >= 0 (got {value.ToString(CultureInfo.InvariantCulture)})");
    }

    public static void InRange(int value, int low, int high, string name)
    {
        if (value < low || value > high)
            throw new ArgumentException($"{name} must be in [{low}, {high}] (got {value.ToString(CultureInfo.InvariantCulture)})");
    }
}
