using System.Globalization;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Perturbation;

/// <summary>A perturbation spec that cannot be parsed or applied; the message is one line naming the bad part.</summary>
public sealed class PerturbationSpecException(string message) : FormatException(message);

/// <summary>
/// One axis of a perturbation: a knob scaled by a fixed factor or over a range of factors, or extra latency ticks
/// (<see cref="Knob"/> null) added to the plant's own.
/// </summary>
/// <param name="Text">The item as written, e.g. <c>mass=0.8..1.2</c>.</param>
public sealed record PerturbationAxis(string Name, PlantKnob? Knob, double Min, double Max, string Text)
{
    public bool IsLatency => Knob is null;

    /// <summary>True for <c>a..b</c> with a &lt; b (the axis takes several values).</summary>
    public bool IsRange => Max > Min;

    /// <summary>The values a grid takes: <paramref name="points"/> evenly spaced factors (the midpoint for 1), every whole tick for latency.</summary>
    public double[] GridValues(int points)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        if (!IsRange) return [Min];
        if (IsLatency) return Enumerable.Range(0, (int)(Max - Min) + 1).Select(k => Min + k).ToArray();
        if (points == 1) return [(Min + Max) / 2];
        return Enumerable.Range(0, points).Select(k => k == points - 1 ? Max : Min + (Max - Min) * k / (points - 1)).ToArray();
    }

    /// <summary>One random value: uniform factor in [Min, Max), uniform whole ticks in [Min, Max] for latency.</summary>
    public double Sample(Xoshiro256 rng)
    {
        if (!IsRange) return Min;
        return IsLatency ? Min + rng.NextInt((int)(Max - Min) + 1) : rng.NextUniform(Min, Max);
    }

    /// <summary>How a value reads in tables: ×0.9 for a factor, +1 for ticks.</summary>
    public string Label(double value) => IsLatency
        ? (value >= 0 ? "+" : "") + value.ToString("0", CultureInfo.InvariantCulture)
        : "×" + value.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>One perturbed plant: a value per axis of its spec (a factor, or ticks for latency), in axis order.</summary>
public sealed record PerturbedPlant(IReadOnlyList<double> Values);

/// <summary>
/// Which plants a robustness evaluation runs on, parsed from text like <c>mass=0.8..1.2,kt=0.9,latency=+1</c>:
/// comma-separated items <c>name=VALUE</c>. A knob (<see cref="PlantKnobs"/>) takes a factor <c>0.9</c> or a range of
/// factors <c>0.8..1.2</c> (all &gt; 0); <c>latency</c> takes ticks added to the plant's latency, <c>+1</c>, <c>1</c>,
/// or a range <c>0..2</c> (whole numbers; negative values lower a plant's own latency, never below 0).
/// </summary>
public sealed record PerturbationSpec(string Text, IReadOnlyList<PerturbationAxis> Axes)
{
    /// <summary>Most plants a grid may hold (a typo like <c>--grid 100</c> over 4 ranges would run for days).</summary>
    public const int MaxPlants = 10_000;

    private const int MaxLatencySpan = 100;

    /// <summary>Parses a spec.</summary>
    /// <exception cref="PerturbationSpecException">One line naming the bad item and what is wrong with it.</exception>
    public static PerturbationSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
            throw new PerturbationSpecException("empty spec; expected items like mass=0.8..1.2,kt=0.9,latency=+1");
        var axes = new List<PerturbationAxis>();
        foreach (var raw in text.Split(','))
        {
            var item = raw.Trim();
            if (item.Length == 0)
                throw new PerturbationSpecException($"empty item in '{text}' (two commas, or a comma at an end)");
            var equals = item.IndexOf('=');
            if (equals < 0)
                throw new PerturbationSpecException($"'{item}': expected name=VALUE");
            var name = item[..equals].Trim();
            var value = item[(equals + 1)..].Trim();
            if (axes.Any(a => a.Name == name))
                throw new PerturbationSpecException($"'{item}': {name} is given twice");
            axes.Add(name == PlantKnobs.LatencyName ? ParseLatency(item, value) : ParseScale(item, name, value));
        }
        PlantKnobs.CheckDisjoint(axes.Where(a => a.Knob is not null).Select(a => a.Knob!).ToArray(),
            problem => new PerturbationSpecException(problem));
        return new PerturbationSpec(text, axes);
    }

    /// <summary>The axes that take more than one value, in spec order (the candidates for a heat map).</summary>
    public IReadOnlyList<PerturbationAxis> RangeAxes => Axes.Where(a => a.IsRange).ToArray();

    /// <summary>Every combination of <see cref="PerturbationAxis.GridValues"/>, the first axis varying slowest.</summary>
    /// <exception cref="PerturbationSpecException">More than <see cref="MaxPlants"/> plants.</exception>
    public IReadOnlyList<PerturbedPlant> Grid(int pointsPerRange)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerRange, 1);
        var values = Axes.Select(a => a.GridValues(pointsPerRange)).ToArray();
        var count = values.Aggregate(1.0, (n, v) => n * v.Length);
        if (count > MaxPlants)
            throw new PerturbationSpecException($"the grid has {count:0} plants, more than {MaxPlants}; use fewer points or --samples");
        var plants = new List<PerturbedPlant>((int)count);
        var index = new int[Axes.Count];
        for (var n = 0; n < (int)count; n++)
        {
            plants.Add(new PerturbedPlant(index.Select((k, axis) => values[axis][k]).ToArray()));
            for (var axis = Axes.Count - 1; axis >= 0; axis--)
            {
                if (++index[axis] < values[axis].Length) break;
                index[axis] = 0;
            }
        }
        return plants;
    }

    /// <summary><paramref name="count"/> random plants; the same seed gives the same plants.</summary>
    public IReadOnlyList<PerturbedPlant> Sample(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count > MaxPlants) throw new PerturbationSpecException($"{count} samples, more than {MaxPlants}");
        var rng = new Xoshiro256(seed);
        var plants = new PerturbedPlant[count];
        for (var n = 0; n < count; n++) plants[n] = new PerturbedPlant(Axes.Select(a => a.Sample(rng)).ToArray());
        return plants;
    }

    /// <summary>The plant's parameters: <paramref name="nominal"/> with every axis applied, validated.</summary>
    /// <exception cref="PerturbationSpecException">The result is not a valid plant (e.g. latency below 0).</exception>
    public MotorPendulumParameters Apply(MotorPendulumParameters nominal, PerturbedPlant plant)
    {
        ArgumentNullException.ThrowIfNull(nominal);
        ArgumentNullException.ThrowIfNull(plant);
        if (plant.Values.Count != Axes.Count)
            throw new ArgumentException($"plant has {plant.Values.Count} values, the spec has {Axes.Count} axes", nameof(plant));
        var result = nominal;
        for (var i = 0; i < Axes.Count; i++)
        {
            var axis = Axes[i];
            var value = plant.Values[i];
            result = axis.Knob is { } knob
                ? knob.Scale(result, value)
                : result with { LatencyTicks = checked(nominal.LatencyTicks + (int)value) };
        }
        try
        {
            result.Validate();
        }
        catch (ArgumentException e)
        {
            throw new PerturbationSpecException($"plant {Describe(plant)} is invalid: {e.Message}");
        }
        return result;
    }

    /// <summary>E.g. <c>mass ×0.8, latency +1</c>.</summary>
    public string Describe(PerturbedPlant plant)
    {
        ArgumentNullException.ThrowIfNull(plant);
        return string.Join(", ", Axes.Select((a, i) => $"{a.Name} {a.Label(plant.Values[i])}"));
    }

    private static PerturbationAxis ParseScale(string item, string name, string value)
    {
        var knob = PlantKnobs.Find(name) ?? throw new PerturbationSpecException(
            $"'{item}': unknown name '{name}' (known: {string.Join(", ", PlantKnobs.ShortNames)}, {PlantKnobs.LatencyName}, or a parameter-file name such as arm_mass)");
        var (min, max) = ParseBounds(item, value, ParseFactor);
        return new PerturbationAxis(name, knob, min, max, item);
    }

    private static PerturbationAxis ParseLatency(string item, string value)
    {
        var (min, max) = ParseBounds(item, value, ParseTicks);
        if (max - min > MaxLatencySpan)
            throw new PerturbationSpecException($"'{item}': a latency range spans at most {MaxLatencySpan} ticks");
        return new PerturbationAxis(PlantKnobs.LatencyName, null, min, max, item);
    }

    private static (double Min, double Max) ParseBounds(string item, string value, Func<string, string, double> parse)
    {
        if (value.Length == 0) throw new PerturbationSpecException($"'{item}': no value after '='");
        var dots = value.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            var single = parse(item, value);
            return (single, single);
        }
        var min = parse(item, value[..dots].Trim());
        var max = parse(item, value[(dots + 2)..].Trim());
        if (min > max)
            throw new PerturbationSpecException($"'{item}': range start {Format(min)} is above its end {Format(max)}");
        return (min, max);
    }

    private static double ParseFactor(string item, string text)
    {
        if (text.StartsWith('+'))
            throw new PerturbationSpecException($"'{item}': '{text}' adds, but a knob takes a factor like 0.9 or a range like 0.8..1.2 ('+' is for latency)");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) || text.Length == 0)
            throw new PerturbationSpecException($"'{item}': '{text}' is not a number");
        if (!double.IsFinite(factor) || factor <= 0)
            throw new PerturbationSpecException($"'{item}': factor {text} must be a finite number > 0");
        return factor;
    }

    private static double ParseTicks(string item, string text)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ticks))
            throw new PerturbationSpecException($"'{item}': '{text}' is not a whole number of ticks");
        if (Math.Abs(ticks) > 1000)
            throw new PerturbationSpecException($"'{item}': {text} ticks is out of range (at most 1000)");
        return ticks;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
