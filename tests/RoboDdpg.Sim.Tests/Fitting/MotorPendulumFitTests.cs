using RoboDdpg.Sim.Fitting;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Traces;
using Xunit.Abstractions;

namespace RoboDdpg.Sim.Tests.Fitting;

/// <summary>
/// Twin fitting: the acceptance of issue 6 on short traces (600 steps instead of 2000, the same five parameters) so the
/// tests stay fast; <c>roboddpg fit</c> on a 2000-step trace is the full-size check.
/// </summary>
public sealed class MotorPendulumFitTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly MotorPendulumParameters Defaults = new();

    private Trace Record(MotorPendulumParameters plant, int steps = 600, int episodeSteps = 150, ulong seed = 1)
    {
        var path = Path.Combine(_temp.Path, $"trace-{Guid.NewGuid():N}.csv");
        using (var twin = new MotorPendulumEnvironment(plant, seed: 0))
        using (var writer = new TraceWriter(path, MotorPendulumEnvironment.Schema))
            ExcitationTrace.Record(twin, writer, new ExcitationOptions { Steps = steps, EpisodeSteps = episodeSteps, Seed = seed });
        return TraceReader.Read(path, MotorPendulumEnvironment.Schema);
    }

    private void Log(MotorPendulumFitResult result)
    {
        foreach (var v in result.Values) output.WriteLine($"{v.Parameter}: {v.Start:G6} -> {v.Fitted:G6}");
        output.WriteLine($"{result.Solver.Iterations} iterations, {result.Solver.Evaluations} simulations, {result.Solver.StopReason}");
        output.WriteLine($"twin-check {result.TwinCheckBefore.MaxAbsError:G4} -> {result.TwinCheckAfter.MaxAbsError:G4}, rms {result.Before.RmsError:G4} -> {result.After.RmsError:G4}");
    }

    [Fact]
    public void Whole_case_simulation_of_the_twins_own_trace_has_zero_error_with_latency_and_noise()
    {
        var plant = Defaults with { LatencyTicks = 2, AngleNoiseStd = 0.01, VelocityNoiseStd = 0.1 };
        var model = new MotorPendulumTraceModel(Record(plant, steps: 300, episodeSteps: 100));
        Assert.Equal(300, model.Steps);
        var error = model.SimulationError(plant);
        Assert.Equal(0.0, error.MaxAbsError); // the fit's simulator is the twin's integrator and latency rule, exactly
        var residuals = new double[model.ResidualCount];
        Assert.True(model.WriteResiduals(plant, 20, 0.1, residuals));
        // Windows restart from recorded states, θ = atan2(sin, cos): exact up to the rounding of that round trip.
        Assert.All(residuals, r => Assert.True(Math.Abs(r) < 1e-12, $"residual {r}"));
        Assert.True(model.SimulationError(plant with { LatencyTicks = 1 }).MaxAbsError > 0.01);
    }

    [Fact]
    public void Fit_recovers_the_twins_parameters_from_its_own_trace_starting_20_to_30_percent_off()
    {
        var truth = Defaults;
        var start = truth with
        {
            ArmMass = truth.ArmMass * 1.25, ArmLength = truth.ArmLength * 0.8,
            TorqueConstant = truth.TorqueConstant * 1.2, BackEmfConstant = truth.BackEmfConstant * 1.2,
            ViscousFriction = truth.ViscousFriction * 1.3, CoulombFriction = truth.CoulombFriction * 0.7,
        };
        var result = MotorPendulumFit.Run(Record(truth), start, new MotorPendulumFitOptions());
        Log(result);

        // Acceptance: within 5 %. Noise-free data from the model itself is recovered far tighter than that.
        AssertClose(truth.ArmMass, result.Fitted.ArmMass, 1e-3);
        AssertClose(truth.ArmLength, result.Fitted.ArmLength, 1e-3);
        AssertClose(truth.TorqueConstant, result.Fitted.TorqueConstant, 1e-3);
        AssertClose(truth.BackEmfConstant, result.Fitted.BackEmfConstant, 1e-3);
        AssertClose(truth.ViscousFriction, result.Fitted.ViscousFriction, 1e-3);
        AssertClose(truth.CoulombFriction, result.Fitted.CoulombFriction, 1e-3);
        Assert.Equal(start with
        {
            ArmMass = result.Fitted.ArmMass, ArmLength = result.Fitted.ArmLength, TorqueConstant = result.Fitted.TorqueConstant,
            BackEmfConstant = result.Fitted.BackEmfConstant, ViscousFriction = result.Fitted.ViscousFriction, CoulombFriction = result.Fitted.CoulombFriction,
        }, result.Fitted); // nothing else moved
        Assert.Equal(["arm_mass", "arm_length", "torque_constant", "back_emf_constant", "viscous_friction", "coulomb_friction"],
            result.Values.Select(v => v.Parameter));
        Assert.Equal(start.ArmMass, result.Values[0].Start);
        Assert.True(result.TwinCheckAfter.MaxAbsError < 1e-6, $"after {result.TwinCheckAfter.MaxAbsError}");
    }

    [Fact]
    public void Fit_on_a_perturbed_twins_trace_cuts_the_twin_check_error_more_than_5_times()
    {
        var perturbed = Defaults with
        {
            ArmMass = Defaults.ArmMass * 1.15, ArmLength = Defaults.ArmLength * 0.9,
            TorqueConstant = Defaults.TorqueConstant * 0.85, BackEmfConstant = Defaults.BackEmfConstant * 0.85,
            CoulombFriction = Defaults.CoulombFriction * 1.5, ViscousFriction = Defaults.ViscousFriction * 1.5,
        };
        var trace = Record(perturbed, seed: 5);
        var result = MotorPendulumFit.Run(trace, Defaults, new MotorPendulumFitOptions());
        Log(result);

        var before = result.TwinCheckBefore.MaxAbsError;
        var after = result.TwinCheckAfter.MaxAbsError;
        Assert.True(before > 0.5, $"the defaults should not fit the perturbed trace (error {before})");
        Assert.True(before >= 5 * after, $"twin-check error {before} -> {after}");
        Assert.True(result.Before.RmsError >= 5 * result.After.RmsError);
        AssertClose(perturbed.ArmMass, result.Fitted.ArmMass, 0.01);
        AssertClose(perturbed.ArmLength, result.Fitted.ArmLength, 0.01);
        AssertClose(perturbed.TorqueConstant, result.Fitted.TorqueConstant, 0.01);
        AssertClose(perturbed.CoulombFriction, result.Fitted.CoulombFriction, 0.01);
        AssertClose(perturbed.ViscousFriction, result.Fitted.ViscousFriction, 0.01);
        // What twin-check reports is a replay on the twin: the result's figures are that replay's.
        using var fittedTwin = new MotorPendulumEnvironment(result.Fitted, seed: 0);
        Assert.Equal(TwinCheck.Replay(fittedTwin, trace).MaxAbsError, after);
    }

    [Fact]
    public void Fitting_a_subset_holds_everything_else_at_the_start_values()
    {
        var truth = Defaults with { ArmMass = 0.26, ArmLength = 0.17 };
        var result = MotorPendulumFit.Run(Record(truth, steps: 300, episodeSteps: 100), Defaults,
            new MotorPendulumFitOptions { Knobs = ["mass", "length"] });
        Log(result);
        AssertClose(0.26, result.Fitted.ArmMass, 1e-4);
        AssertClose(0.17, result.Fitted.ArmLength, 1e-4);
        Assert.Equal(Defaults with { ArmMass = result.Fitted.ArmMass, ArmLength = result.Fitted.ArmLength }, result.Fitted);
        Assert.Equal([1.3, 0.85], result.Factors, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    /// <summary>
    /// What a drive with an encoder would record: angles quantized to <paramref name="countsPerRevolution"/> and the speed
    /// as the angle change over the tick, from the exact trace of a twin.
    /// </summary>
    private Trace AsEncoderTrace(Trace exact, double countsPerRevolution, double period)
    {
        var path = Path.Combine(_temp.Path, $"encoder-{Guid.NewGuid():N}.csv");
        var count = 2 * Math.PI / countsPerRevolution;
        using (var writer = new TraceWriter(path, MotorPendulumEnvironment.Schema))
        {
            foreach (var c in exact.Cases)
            {
                writer.BeginCase(c.InitialState);
                var angle = c.InitialState[0];
                var previous = Math.Floor(angle / count) * count;
                foreach (var step in c.Steps)
                {
                    var wrapped = Math.Atan2(step.Outputs[1], step.Outputs[0]);
                    angle = wrapped + 2 * Math.PI * Math.Round((angle - wrapped) / (2 * Math.PI)); // unwrap
                    var measured = Math.Floor(angle / count) * count;
                    writer.WriteStep(step.Action, [Math.Cos(measured), Math.Sin(measured), (measured - previous) / period], step.Reward);
                    previous = measured;
                }
            }
        }
        return TraceReader.Read(path, MotorPendulumEnvironment.Schema);
    }

    [Fact]
    public void Finite_difference_speeds_from_a_2048_count_encoder_fit_mass_length_and_kt_within_2_percent()
    {
        var perturbed = Defaults with
        {
            ArmMass = Defaults.ArmMass * 1.15, ArmLength = Defaults.ArmLength * 0.9,
            TorqueConstant = Defaults.TorqueConstant * 0.85, BackEmfConstant = Defaults.BackEmfConstant * 0.85,
            CoulombFriction = Defaults.CoulombFriction * 1.5,
        };
        var exact = Record(perturbed, steps: 2000, episodeSteps: 200, seed: 1);
        var encoder = AsEncoderTrace(exact, 2048, Defaults.ControlPeriod);
        var knobs = new[] { "mass", "length", "kt", "coulomb" }; // viscous friction held: see the class remarks

        var fd = MotorPendulumFit.Run(encoder, Defaults, new MotorPendulumFitOptions { Knobs = knobs, VelocityOutput = VelocityOutput.FiniteDifference });
        Log(fd);
        AssertClose(perturbed.ArmMass, fd.Fitted.ArmMass, 0.02);
        AssertClose(perturbed.ArmLength, fd.Fitted.ArmLength, 0.02);
        AssertClose(perturbed.TorqueConstant, fd.Fitted.TorqueConstant, 0.02);
        AssertClose(perturbed.CoulombFriction, fd.Fitted.CoulombFriction, 0.15);

        // Against the plant's exact behaviour the fitted twin is far closer than the defaults, and closer than a fit
        // that takes the finite differences for exact speeds.
        var naive = MotorPendulumFit.Run(encoder, Defaults, new MotorPendulumFitOptions { Knobs = knobs });
        var before = MotorPendulumFit.TwinCheckOn(exact, Defaults).MaxAbsError;
        var after = MotorPendulumFit.TwinCheckOn(exact, fd.Fitted).MaxAbsError;
        var afterNaive = MotorPendulumFit.TwinCheckOn(exact, naive.Fitted).MaxAbsError;
        output.WriteLine($"exact-trace twin-check: defaults {before:G4}, finite-difference fit {after:G4}, naive fit {afterNaive:G4}");
        Assert.True(before >= 5 * after, $"{before} -> {after}");
        Assert.True(after < afterNaive, $"finite-difference fit {after}, naive {afterNaive}");
    }

    [Theory]
    [InlineData(new[] { "mass", "weight" }, "unknown parameter 'weight' (known: mass, length, kt,")]
    [InlineData(new[] { "mass", "mass" }, "'mass' is named twice")]
    [InlineData(new[] { "friction", "coulomb" }, "'friction' and 'coulomb' both scale coulomb_friction")]
    [InlineData(new[] { "rod_mass" }, "'rod_mass': rod_mass is 0 in the start parameters")]
    [InlineData(new[] { "angle_noise_std" }, "sensor noise does not change the exact outputs")]
    [InlineData(new string[0], "nothing to fit")]
    public void Bad_fit_parameter_lists_are_refused(string[] names, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => MotorPendulumFit.ResolveKnobs(names, Defaults));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_trace_of_another_twin_is_refused()
    {
        var trace = TraceReader.Read(ReferenceTrace.Path, Pendulum.PendulumEnvironment.Schema);
        Assert.Throws<ArgumentException>(() => new MotorPendulumTraceModel(trace));
    }

    private static void AssertClose(double expected, double actual, double relative) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"expected {expected} ± {relative:P2}, got {actual}");
}
