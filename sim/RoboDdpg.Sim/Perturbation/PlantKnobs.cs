using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Randomization;

namespace RoboDdpg.Sim.Perturbation;

/// <summary>
/// A named multiplicative "knob" on the motor-pendulum plant: scaling it by a factor multiplies one or more physical
/// parameters by that factor. Robustness evaluation (<c>eval --perturb</c>) turns knobs to perturb the plant; twin
/// fitting (<c>fit --fit</c>) estimates the log of each knob's factor.
/// </summary>
/// <param name="Name">The name used on the command line (<c>mass</c>, <c>kt</c>, or a parameter-file name).</param>
/// <param name="Description">What it scales, in words.</param>
/// <param name="Parameters">The parameter-file names it multiplies (<c>torque_constant</c> takes Ke along).</param>
public sealed record PlantKnob(string Name, string Description, IReadOnlyList<string> Parameters)
{
    /// <summary>A copy of <paramref name="parameters"/> with every parameter of this knob multiplied by <paramref name="factor"/>.</summary>
    public MotorPendulumParameters Scale(MotorPendulumParameters parameters, double factor)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var result = parameters;
        foreach (var name in Parameters)
            result = RandomizableParameters.With(result, name, RandomizableParameters.Get(parameters, name) * factor);
        return result;
    }

    /// <summary>True when every parameter of the knob is 0 in <paramref name="parameters"/> (scaling changes nothing).</summary>
    public bool IsZeroIn(MotorPendulumParameters parameters) =>
        Parameters.All(name => RandomizableParameters.Get(parameters, name) == 0);
}

/// <summary>
/// The knobs of the motor pendulum. Short names for what users perturb or fit, plus every continuous parameter-file
/// name (e.g. <c>arm_mass</c> alone) as a knob of its own.
/// </summary>
/// <remarks>
/// <c>kt</c> scales the torque constant Kt and the back-EMF constant Ke together: in SI units they are the same
/// constant of an ideal motor (N·m/A = V·s/rad), and changing one alone would describe a motor that creates or
/// destroys energy. <c>mass</c> scales the tip mass and the rod mass (the whole moving arm; the rod is 0 by default).
/// </remarks>
public static class PlantKnobs
{
    /// <summary>The name of the additive latency axis of a perturbation (not a knob: it adds whole ticks).</summary>
    public const string LatencyName = "latency";

    private static readonly PlantKnob[] Short =
    [
        new("mass", "arm mass: tip mass m and rod mass m_r", ["arm_mass", "rod_mass"]),
        new("length", "arm length l", ["arm_length"]),
        new("kt", "motor constant: Kt and Ke together (one constant of an ideal motor in SI)", ["torque_constant"]),
        new("resistance", "armature resistance R", ["resistance"]),
        new("inductance", "armature inductance L", ["inductance"]),
        new("voltage", "supply voltage V", ["supply_voltage"]),
        new("gear", "gear ratio N", ["gear_ratio"]),
        new("rotor-inertia", "rotor inertia J_rotor", ["rotor_inertia"]),
        new("gravity", "gravity g", ["gravity"]),
        new("friction", "Coulomb τ_c and viscous b friction together", ["coulomb_friction", "viscous_friction"]),
        new("coulomb", "Coulomb friction τ_c", ["coulomb_friction"]),
        new("viscous", "viscous friction b", ["viscous_friction"]),
    ];

    private static readonly PlantKnob[] Knobs =
    [
        .. Short,
        .. RandomizableParameters.Names
            .Where(name => !RandomizableParameters.IsInteger(name))
            .Select(name => new PlantKnob(name, name == "torque_constant" ? "torque constant Kt (Ke follows)" : name, [name])),
    ];

    /// <summary>Every knob: the short names first, then the parameter-file names.</summary>
    public static IReadOnlyList<PlantKnob> All => Knobs;

    /// <summary>The short names, for help texts and error messages.</summary>
    public static IReadOnlyList<string> ShortNames { get; } = Array.ConvertAll(Short, k => k.Name);

    public static PlantKnob? Find(string name) => Array.Find(Knobs, k => k.Name == name);

    /// <summary>Throws when two knobs scale the same parameter (their factors would multiply, which no one means).</summary>
    public static void CheckDisjoint(IReadOnlyList<PlantKnob> knobs, Func<string, Exception> fail)
    {
        ArgumentNullException.ThrowIfNull(knobs);
        for (var a = 0; a < knobs.Count; a++)
        {
            for (var b = a + 1; b < knobs.Count; b++)
            {
                var shared = knobs[a].Parameters.Intersect(knobs[b].Parameters).FirstOrDefault();
                if (shared is not null)
                    throw fail($"'{knobs[a].Name}' and '{knobs[b].Name}' both scale {shared}");
            }
        }
    }
}
