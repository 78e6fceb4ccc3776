namespace RoboDdpg.Core.Safety;

/// <summary>
/// Settings of a <see cref="SafetyLayer"/>. Every property is validated when it is set (also through
/// <c>with</c>), so an instance that exists is valid; the defaults are safe for any plant.
/// </summary>
public sealed record SafetyOptions
{
    /// <summary>
    /// Largest change of each action entry from one tick to the next, in action units: either one value for
    /// every dimension or one per dimension (the layer checks the count against the action). Each value must
    /// be &gt; 0; <see cref="float.PositiveInfinity"/> leaves that dimension unlimited. Null (the default)
    /// disables rate limiting.
    /// </summary>
    public IReadOnlyList<float>? MaxDeltaPerTick
    {
        get;
        init
        {
            if (value is null)
            {
                field = null;
                return;
            }
            if (value.Count == 0)
                throw new ArgumentException("MaxDeltaPerTick needs at least one value (or null for no rate limit)", nameof(MaxDeltaPerTick));
            for (var i = 0; i < value.Count; i++)
            {
                // !(x > 0) also rejects NaN.
                if (!(value[i] > 0f))
                    throw new ArgumentOutOfRangeException(nameof(MaxDeltaPerTick), value[i], $"MaxDeltaPerTick[{i}] must be > 0");
            }
            // Copied so that the caller cannot change the limits under a running layer.
            field = Array.AsReadOnly(value.ToArray());
        }
    }

    /// <summary>
    /// N: after N consecutive ticks without a fresh observation the safe action is forced, until a fresh
    /// observation arrives. At least 1 (the watchdog cannot be switched off: a plant without a working
    /// sensor must not be driven open-loop). Default 5.
    /// </summary>
    public int WatchdogTicks
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(WatchdogTicks));
            field = value;
        }
    } = 5;
}
