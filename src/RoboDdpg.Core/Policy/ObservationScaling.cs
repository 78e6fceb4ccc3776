namespace RoboDdpg.Core.Policy;

/// <summary>
/// How raw observations become network inputs: input = (observation − offset)·scale, per entry. Stored in the policy
/// file with the weights, so the deploying side never has to know how the learner normalized.
/// </summary>
public sealed class ObservationScaling
{
    public ObservationScaling(IReadOnlyList<float> offset, IReadOnlyList<float> scale)
    {
        ArgumentNullException.ThrowIfNull(offset);
        ArgumentNullException.ThrowIfNull(scale);
        if (offset.Count != scale.Count) throw new ArgumentException($"offset has {offset.Count} entries, scale {scale.Count}");
        for (var i = 0; i < offset.Count; i++)
        {
            if (!float.IsFinite(offset[i]) || !float.IsFinite(scale[i]) || scale[i] == 0)
                throw new ArgumentException($"observation {i} has an invalid scaling (offset {offset[i]}, scale {scale[i]}): both must be finite and the scale non-zero");
        }
        Offset = [.. offset];
        Scale = [.. scale];
    }

    public float[] Offset { get; }
    public float[] Scale { get; }
    public int Size => Offset.Length;

    /// <summary>Maps each bounded observation's [low, high] onto [−1, 1]; unbounded entries pass unchanged.</summary>
    public static ObservationScaling FromBounds(IReadOnlyList<float> low, IReadOnlyList<float> high)
    {
        var offset = new float[low.Count];
        var scale = new float[low.Count];
        for (var i = 0; i < low.Count; i++)
        {
            var bounded = float.IsFinite(low[i]) && float.IsFinite(high[i]) && high[i] > low[i];
            offset[i] = bounded ? (high[i] + low[i]) / 2f : 0f;
            scale[i] = bounded ? 2f / (high[i] - low[i]) : 1f;
        }
        return new ObservationScaling(offset, scale);
    }

    public bool IsIdentity => Offset.All(o => o == 0) && Scale.All(s => s == 1);
}
