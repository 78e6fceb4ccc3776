namespace RoboDdpg.Core.Environments;

/// <summary>
/// A bounded box of named float values: the shape of an observation or an action vector.
/// Bounds may be infinite for observations; action bounds must be finite (the actor scales to them).
/// </summary>
public sealed record BoxSpec
{
    public BoxSpec(IReadOnlyList<string> names, IReadOnlyList<float> low, IReadOnlyList<float> high)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (names.Count == 0)
            throw new ArgumentException("a box needs at least one dimension", nameof(names));
        if (low.Count != names.Count || high.Count != names.Count)
            throw new ArgumentException($"box has {names.Count} names but {low.Count} low and {high.Count} high bounds");
        for (var i = 0; i < names.Count; i++)
        {
            if (float.IsNaN(low[i]) || float.IsNaN(high[i]) || low[i] > high[i])
                throw new ArgumentException($"dimension '{names[i]}' has invalid bounds [{low[i]}, {high[i]}]");
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentException("dimension names must be unique", nameof(names));

        Names = names.ToArray();
        Low = low.ToArray();
        High = high.ToArray();
    }

    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<float> Low { get; }
    public IReadOnlyList<float> High { get; }
    public int Size => Names.Count;

    public bool IsFinite => Low.All(float.IsFinite) && High.All(float.IsFinite);

    /// <summary>Clamps each entry of <paramref name="values"/> into its bounds, in place.</summary>
    public void Clamp(Span<float> values)
    {
        if (values.Length != Size)
            throw new ArgumentException($"expected {Size} values, got {values.Length}", nameof(values));
        for (var i = 0; i < values.Length; i++)
            values[i] = Math.Clamp(values[i], Low[i], High[i]);
    }

    public bool Contains(ReadOnlySpan<float> values)
    {
        if (values.Length != Size) return false;
        for (var i = 0; i < values.Length; i++)
        {
            if (!(values[i] >= Low[i] && values[i] <= High[i])) return false;
        }
        return true;
    }
}
