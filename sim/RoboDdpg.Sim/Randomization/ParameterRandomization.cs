namespace RoboDdpg.Sim.Randomization;

/// <summary>How a range is applied: multiplied onto the base value, or taken as the value itself.</summary>
public enum RandomizationKind
{
    /// <summary>value = base · U[min, max).</summary>
    Scale,

    /// <summary>value = U[min, max) (integers: uniform over min..max inclusive).</summary>
    Range,
}

/// <summary>One randomized parameter: its JSON name, the form of its range and the bounds.</summary>
public sealed record ParameterRandomization(string Name, RandomizationKind Kind, double Min, double Max)
{
    /// <summary>True for integer parameters (latency), sampled uniformly over the whole numbers min..max.</summary>
    public bool IsInteger => RandomizableParameters.IsInteger(Name);
}
