using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Perturbation;
using RoboDdpg.Sim.Randomization;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Fitting;

/// <summary>What <see cref="MotorPendulumFit"/> estimates and how.</summary>
public sealed record MotorPendulumFitOptions
{
    /// <summary>Arm mass, arm length, motor constant Kt (= Ke), viscous and Coulomb friction.</summary>
    public static IReadOnlyList<string> DefaultKnobs { get; } = ["mass", "length", "kt", "viscous", "coulomb"];

    /// <summary>Knob names (<see cref="PlantKnobs"/>) whose factors are fitted; everything else stays at the start value.</summary>
    public IReadOnlyList<string> Knobs { get; init; } = DefaultKnobs;

    /// <summary>Steps per simulated window (<see cref="MotorPendulumTraceModel"/>); 0 = whole cases.</summary>
    public int Horizon { get; init; } = 20;

    /// <summary>What the trace's <c>thdot</c> holds: exact speed (twins, the default) or an encoder finite difference.</summary>
    public VelocityOutput VelocityOutput { get; init; } = VelocityOutput.Exact;

    /// <summary>Weight of θ̇ residuals, in seconds.</summary>
    public double VelocityWeight { get; init; } = 0.1;

    /// <summary>Levenberg–Marquardt iterations at most (exact data typically needs 60–90).</summary>
    public int MaxIterations { get; init; } = 200;
}

/// <summary>A parameter's value before and after the fit.</summary>
public sealed record FittedValue(string Parameter, double Start, double Fitted)
{
    /// <summary>Fitted / start.</summary>
    public double Ratio => Fitted / Start;
}

/// <summary>Outcome of a fit: the parameters, how they moved, and the trace errors before and after.</summary>
/// <param name="TwinCheckBefore">Replay of the trace on the twin with the start parameters (what twin-check reports).</param>
/// <param name="TwinCheckAfter">The same with the fitted parameters.</param>
public sealed record MotorPendulumFitResult(
    MotorPendulumParameters Start,
    MotorPendulumParameters Fitted,
    IReadOnlyList<PlantKnob> Knobs,
    IReadOnlyList<double> Factors,
    IReadOnlyList<FittedValue> Values,
    RolloutError Before,
    RolloutError After,
    TraceReplayResult TwinCheckBefore,
    TraceReplayResult TwinCheckAfter,
    LevenbergMarquardtResult Solver);

/// <summary>
/// Estimates motor-pendulum parameters from a recorded trace: least squares over simulated rollouts (each case replayed
/// from its recorded start state with the recorded actions, in short windows), solved by Levenberg–Marquardt in
/// log-parameter space (factors stay positive, and a step means the same relative change for a 0.001 friction as for a
/// 0.2 kg mass).
/// </summary>
/// <remarks>
/// <para>Identifiability with only cos θ, sin θ and θ̇ observed (the current is not): with L/R ≪ the control period the arm
/// obeys J·θ̇' = (N·Kt/R)·u − (N²·Kt·Ke/R + b)·θ̇ + (m + m_r/2)·g·l·sin θ − τ_c·sign θ̇ with J = N²·J_rotor + m·l² + m_r·l²/3.
/// Every torque term and J can be scaled together without changing the motion, so one scale must be pinned by values
/// held fixed: R, N, V, L, J_rotor and g stay at their nameplate values. Then Kt (= Ke) is determined by the gain of u
/// and the back-EMF damping together, m and l separately through the inertia m·l² and the gravity torque m·g·l, and b
/// and τ_c by the damping beyond the back-EMF and by the constant drag and sticking at low speed. Fitting R together with
/// Kt and the masses leaves a nearly flat direction (the only pin left is the small rotor inertia); fitting m and
/// m_r separately, or Kt and Ke separately, is not possible from these outputs, which is why the knobs scale them together.
/// Latency stays at the start file's whole number of ticks.</para>
/// <para>Viscous friction is the weak one: b only adds to the back-EMF damping N²·Kt·Ke/R (about 180× larger at the
/// defaults), and fitted together with Kt it frees the damping from Kt, so the overall scale is then pinned by the rotor
/// inertia alone (about 10 % of J at the defaults). Exact twin traces still give exact values; on measured data
/// (quantized encoder, finite-difference speed) the fit can slide along that direction to a wrong but well-fitting
/// plant, so there fit <c>mass,length,kt,coulomb</c> and hold b.</para>
/// </remarks>
public static class MotorPendulumFit
{
    /// <summary>Resolves knob names against the start parameters.</summary>
    /// <exception cref="ArgumentException">Unknown name, a name twice, two knobs on one parameter, or a knob whose parameters are all 0 (its log is undefined).</exception>
    public static IReadOnlyList<PlantKnob> ResolveKnobs(IReadOnlyList<string> names, MotorPendulumParameters start)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(start);
        if (names.Count == 0) throw new ArgumentException("nothing to fit: name at least one parameter");
        var knobs = new List<PlantKnob>();
        foreach (var name in names)
        {
            var knob = PlantKnobs.Find(name) ?? throw new ArgumentException(
                $"unknown parameter '{name}' (known: {string.Join(", ", PlantKnobs.ShortNames)}, or a parameter-file name such as arm_mass)");
            if (knobs.Contains(knob)) throw new ArgumentException($"'{name}' is named twice");
            if (knob.Parameters.Any(p => p is "angle_noise_std" or "velocity_noise_std"))
                throw new ArgumentException($"'{name}': sensor noise does not change the exact outputs a trace compares, so it cannot be fitted");
            if (knob.IsZeroIn(start))
                throw new ArgumentException($"'{name}': {string.Join(" and ", knob.Parameters)} is 0 in the start parameters; the fit scales the start value, so give a positive one");
            knobs.Add(knob);
        }
        PlantKnobs.CheckDisjoint(knobs, problem => new ArgumentException(problem));
        return knobs;
    }

    /// <param name="progress">Called with each accepted cost; may be null.</param>
    /// <exception cref="ArgumentException">Bad knob names (<see cref="ResolveKnobs"/>) or options, or a trace of another twin.</exception>
    public static MotorPendulumFitResult Run(Trace trace, MotorPendulumParameters start, MotorPendulumFitOptions options)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(options);
        start.Validate();
        if (options.Horizon < 0) throw new ArgumentException($"horizon must be >= 0 (got {options.Horizon})");
        if (!(options.VelocityWeight >= 0) || !double.IsFinite(options.VelocityWeight))
            throw new ArgumentException($"velocity weight must be finite and >= 0 (got {options.VelocityWeight})");
        var knobs = ResolveKnobs(options.Knobs, start);
        var model = new MotorPendulumTraceModel(trace) { VelocityOutput = options.VelocityOutput };

        MotorPendulumParameters At(double[] logFactors)
        {
            var p = start;
            for (var k = 0; k < knobs.Count; k++) p = knobs[k].Scale(p, Math.Exp(logFactors[k]));
            return p;
        }

        var solver = LevenbergMarquardt.Minimize(
            (x, r) => model.WriteResiduals(At(x), options.Horizon, options.VelocityWeight, r),
            new double[knobs.Count], model.ResidualCount,
            new LevenbergMarquardtOptions { MaxIterations = options.MaxIterations });
        var fitted = At(solver.X);

        return new MotorPendulumFitResult(start, fitted, knobs, solver.X.Select(Math.Exp).ToArray(), Values(knobs, start, fitted),
            model.SimulationError(start), model.SimulationError(fitted), TwinCheckOn(trace, start), TwinCheckOn(trace, fitted), solver);
    }

    /// <summary>Replays <paramref name="trace"/> on a twin with <paramref name="parameters"/> (twin-check's errors).</summary>
    public static TraceReplayResult TwinCheckOn(Trace trace, MotorPendulumParameters parameters)
    {
        using var twin = new MotorPendulumEnvironment(parameters, seed: 0);
        return TwinCheck.Replay(twin, trace);
    }

    private static FittedValue[] Values(IReadOnlyList<PlantKnob> knobs, MotorPendulumParameters start, MotorPendulumParameters fitted)
    {
        var values = new List<FittedValue>();
        foreach (var knob in knobs)
        {
            foreach (var name in knob.Parameters)
            {
                var before = RandomizableParameters.Get(start, name);
                if (before == 0) continue; // a zero part of a knob (e.g. rod_mass) stays 0
                values.Add(new FittedValue(name, before, RandomizableParameters.Get(fitted, name)));
                if (name == "torque_constant" && start.BackEmfConstant > 0)
                    values.Add(new FittedValue("back_emf_constant", start.BackEmfConstant, fitted.BackEmfConstant));
            }
        }
        return values.ToArray();
    }
}
