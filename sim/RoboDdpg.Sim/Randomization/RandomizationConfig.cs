using System.Globalization;
using System.Text.Json;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Randomization;

/// <summary>
/// Per-episode domain randomization of the motor pendulum: for each named parameter a uniform range, either a
/// multiplicative <c>{ "scale": [min, max] }</c> of the base value or an absolute <c>{ "range": [min, max] }</c>
/// (whole numbers for <c>latency_ticks</c>, sampled inclusively).
/// </summary>
/// <remarks>
/// <para>File format (comments and trailing commas allowed):</para>
/// <code>
/// { "arm_mass": { "scale": [0.8, 1.2] }, "latency_ticks": { "range": [0, 2] } }
/// </code>
/// <para><see cref="Parameters"/> is in the canonical order of <see cref="RandomizableParameters.Names"/>, whatever
/// the file order, so sampling and log columns do not depend on how the file is written.</para>
/// </remarks>
/// <param name="FilePath">Where the config came from; prefixes every error message.</param>
/// <param name="Parameters">The randomized parameters, canonical order, each name once.</param>
public sealed record RandomizationConfig(string FilePath, IReadOnlyList<ParameterRandomization> Parameters)
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The randomized parameter names, in sampling (and log column) order.</summary>
    public IReadOnlyList<string> Names => Parameters.Select(p => p.Name).ToArray();

    /// <summary>Reads a config file and validates it against <paramref name="baseParameters"/> (defaults if null).</summary>
    /// <exception cref="RandomizationConfigException">Any problem, as one line "file: problem".</exception>
    public static RandomizationConfig Load(string path, MotorPendulumParameters? baseParameters = null)
    {
        var text = ConfigFileException.ReadText(path, (problem, e) => new RandomizationConfigException(path, problem, e));
        return Parse(text, path, baseParameters);
    }

    /// <summary>Parses config text; <paramref name="path"/> only labels error messages.</summary>
    /// <exception cref="RandomizationConfigException">Any problem, as one line "path: problem".</exception>
    public static RandomizationConfig Parse(string json, string path, MotorPendulumParameters? baseParameters = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(path);
        var found = new List<ParameterRandomization>();
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new RandomizationConfigException(path, $"expected a JSON object, found {root.ValueKind}");
            foreach (var property in root.EnumerateObject())
            {
                var name = property.Name;
                if (!RandomizableParameters.IsKnown(name))
                    throw new RandomizationConfigException(path,
                        $"unknown parameter '{name}' (known: {string.Join(", ", RandomizableParameters.Names)})");
                if (found.Any(p => p.Name == name))
                    throw new RandomizationConfigException(path, $"{name}: given twice");
                found.Add(ParseOne(path, name, property.Value));
            }
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}" : "";
            var message = e.Message.ReplaceLineEndings(" ");
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd(' ', '|');
            throw new RandomizationConfigException(path, $"invalid JSON{where}: {message}", e);
        }

        found.Sort((a, b) => RandomizableParameters.IndexOf(a.Name).CompareTo(RandomizableParameters.IndexOf(b.Name)));
        var config = new RandomizationConfig(path, found.ToArray());
        config.Validate(baseParameters ?? new MotorPendulumParameters());
        return config;
    }

    /// <summary>
    /// Checks that every sample from <paramref name="baseParameters"/> is a valid parameter set. Each validity rule
    /// is monotone in each parameter (bounds, and J growing with masses and lengths), so the two corners — every
    /// parameter at its lowest, and at its highest — cover the whole box.
    /// </summary>
    /// <exception cref="RandomizationConfigException">A corner fails <see cref="MotorPendulumParameters.Validate"/>.</exception>
    public void Validate(MotorPendulumParameters baseParameters)
    {
        ArgumentNullException.ThrowIfNull(baseParameters);
        CheckSample(Corner(baseParameters, low: true), "lowest");
        CheckSample(Corner(baseParameters, low: false), "highest");
    }

    /// <summary>
    /// Draws one parameter set: one number from <paramref name="rng"/> per randomized parameter, in
    /// <see cref="Parameters"/> order, applied to <paramref name="baseParameters"/>. Writes the sampled values into
    /// <paramref name="values"/> (same order) and validates the result.
    /// </summary>
    public MotorPendulumParameters Sample(Xoshiro256 rng, MotorPendulumParameters baseParameters, Span<double> values)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(baseParameters);
        if (values.Length != Parameters.Count)
            throw new ArgumentException($"values has {values.Length} entries, expected {Parameters.Count}", nameof(values));
        var result = baseParameters;
        for (var k = 0; k < Parameters.Count; k++)
        {
            var p = Parameters[k];
            double value;
            if (p.IsInteger)
                value = p.Min + rng.NextInt(checked((int)(p.Max - p.Min) + 1));
            else if (p.Kind == RandomizationKind.Scale)
                value = RandomizableParameters.Get(baseParameters, p.Name) * rng.NextUniform(p.Min, p.Max);
            else
                value = rng.NextUniform(p.Min, p.Max);
            values[k] = value;
            result = RandomizableParameters.With(result, p.Name, value);
        }
        CheckSample(result, "sampled");
        return result;
    }

    private MotorPendulumParameters Corner(MotorPendulumParameters baseParameters, bool low)
    {
        var result = baseParameters;
        foreach (var p in Parameters)
        {
            var bound = low ? p.Min : p.Max;
            var value = p.Kind == RandomizationKind.Scale ? RandomizableParameters.Get(baseParameters, p.Name) * bound : bound;
            result = RandomizableParameters.With(result, p.Name, value);
        }
        return result;
    }

    private void CheckSample(MotorPendulumParameters parameters, string which)
    {
        try
        {
            parameters.Validate();
        }
        catch (ArgumentException e)
        {
            throw new RandomizationConfigException(FilePath, $"{which} sample is invalid: {e.Message}", e);
        }
    }

    private static ParameterRandomization ParseOne(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new RandomizationConfigException(path, $"{name}: expected {{ \"scale\": [min, max] }} or {{ \"range\": [min, max] }}, found {value.ValueKind}");
        RandomizationKind? kind = null;
        JsonElement bounds = default;
        foreach (var property in value.EnumerateObject())
        {
            var k = property.Name switch
            {
                "scale" => RandomizationKind.Scale,
                "range" => RandomizationKind.Range,
                _ => throw new RandomizationConfigException(path, $"{name}: unknown key '{property.Name}' (use 'scale' or 'range')"),
            };
            if (kind is not null)
                throw new RandomizationConfigException(path, $"{name}: give one of 'scale' or 'range', not both");
            kind = k;
            bounds = property.Value;
        }
        if (kind is not { } form)
            throw new RandomizationConfigException(path, $"{name}: missing 'scale' or 'range'");

        var key = form == RandomizationKind.Scale ? "scale" : "range";
        if (bounds.ValueKind != JsonValueKind.Array || bounds.GetArrayLength() != 2
            || bounds[0].ValueKind != JsonValueKind.Number || bounds[1].ValueKind != JsonValueKind.Number)
            throw new RandomizationConfigException(path, $"{name}.{key}: expected two numbers [min, max]");
        var min = bounds[0].GetDouble();
        var max = bounds[1].GetDouble();
        if (!double.IsFinite(min) || !double.IsFinite(max))
            throw new RandomizationConfigException(path, $"{name}.{key}: bounds must be finite");
        if (min > max)
            throw new RandomizationConfigException(path, $"{name}.{key}: min {Format(min)} > max {Format(max)}");
        // Every randomizable quantity is a magnitude (masses, resistances, noise levels…): a negative scale or bound
        // can only produce a negative value, and that is never the intent.
        if (min < 0)
            throw new RandomizationConfigException(path, $"{name}.{key}: min {Format(min)} gives negative values");
        if (RandomizableParameters.IsInteger(name))
        {
            if (form != RandomizationKind.Range)
                throw new RandomizationConfigException(path, $"{name}: an integer parameter takes 'range', not 'scale'");
            if (min != Math.Floor(min) || max != Math.Floor(max) || max > 1000)
                throw new RandomizationConfigException(path, $"{name}.range: bounds must be whole numbers in [0, 1000]");
        }
        return new ParameterRandomization(name, form, min, max);
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
