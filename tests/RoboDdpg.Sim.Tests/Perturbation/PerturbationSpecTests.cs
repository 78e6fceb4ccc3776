using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Perturbation;

namespace RoboDdpg.Sim.Tests.Perturbation;

public sealed class PerturbationSpecTests
{
    [Fact]
    public void Parses_ranges_fixed_factors_and_latency_ticks()
    {
        var spec = PerturbationSpec.Parse(" mass=0.8..1.2, kt=0.9 ,latency=+1,length = 0.9..1.1");
        Assert.Equal(["mass", "kt", "latency", "length"], spec.Axes.Select(a => a.Name));
        var mass = spec.Axes[0];
        Assert.Equal((0.8, 1.2, true, false), (mass.Min, mass.Max, mass.IsRange, mass.IsLatency));
        Assert.Equal(["arm_mass", "rod_mass"], mass.Knob!.Parameters);
        Assert.Equal((0.9, 0.9, false), (spec.Axes[1].Min, spec.Axes[1].Max, spec.Axes[1].IsRange));
        Assert.Equal((1.0, 1.0, true), (spec.Axes[2].Min, spec.Axes[2].Max, spec.Axes[2].IsLatency));
        Assert.Equal(["mass", "length"], spec.RangeAxes.Select(a => a.Name));

        var latency = PerturbationSpec.Parse("latency=0..2,arm_mass=1.1").Axes;
        Assert.Equal((0.0, 2.0), (latency[0].Min, latency[0].Max));
        Assert.Equal(["arm_mass"], latency[1].Knob!.Parameters);
    }

    [Theory]
    [InlineData("", "empty spec")]
    [InlineData("mass=0.8..1.2,", "empty item in 'mass=0.8..1.2,'")]
    [InlineData("mass", "'mass': expected name=VALUE")]
    [InlineData("weight=0.9", "'weight=0.9': unknown name 'weight' (known: mass, length, kt,")]
    [InlineData("mass=0.8..x", "'mass=0.8..x': 'x' is not a number")]
    [InlineData("mass=0.8..1.2..1.5", "'mass=0.8..1.2..1.5': '1.2..1.5' is not a number")]
    [InlineData("kt=1.2..0.8", "'kt=1.2..0.8': range start 1.2 is above its end 0.8")]
    [InlineData("mass=0", "'mass=0': factor 0 must be a finite number > 0")]
    [InlineData("mass=-0.5..1", "'mass=-0.5..1': factor -0.5 must be a finite number > 0")]
    [InlineData("mass=NaN", "'mass=NaN': factor NaN must be a finite number > 0")]
    [InlineData("mass=+0.1", "'mass=+0.1': '+0.1' adds, but a knob takes a factor")]
    [InlineData("kt=", "'kt=': no value after '='")]
    [InlineData("latency=0.5", "'latency=0.5': '0.5' is not a whole number of ticks")]
    [InlineData("latency=2..1", "'latency=2..1': range start 2 is above its end 1")]
    [InlineData("latency=0..500", "'latency=0..500': a latency range spans at most 100 ticks")]
    [InlineData("mass=0.9,mass=1.1", "'mass=1.1': mass is given twice")]
    [InlineData("friction=0.9,coulomb=1.1", "'friction' and 'coulomb' both scale coulomb_friction")]
    [InlineData("kt=0.9,torque_constant=1.1", "'kt' and 'torque_constant' both scale torque_constant")]
    [InlineData("latency_ticks=1", "unknown name 'latency_ticks'")]
    public void Bad_specs_are_refused_with_one_line_naming_the_bad_part(string text, string expected)
    {
        var e = Assert.Throws<PerturbationSpecException>(() => PerturbationSpec.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_grid_takes_evenly_spaced_factors_every_latency_tick_and_varies_the_last_axis_fastest()
    {
        var spec = PerturbationSpec.Parse("mass=0.8..1.2,latency=0..1,kt=0.9");
        var plants = spec.Grid(3).Select(p => p.Values.ToArray()).ToArray();
        Assert.Equal(
        [
            [0.8, 0, 0.9], [0.8, 1, 0.9],
            [1.0, 0, 0.9], [1.0, 1, 0.9],
            [1.2, 0, 0.9], [1.2, 1, 0.9],
        ], plants);
        Assert.Equal([[1.0, 0, 0.9], [1.0, 1, 0.9]], spec.Grid(1).Select(p => p.Values.ToArray()));
        Assert.Equal([0.8, 0.9, 1.0, 1.1, 1.2], spec.Axes[0].GridValues(5), (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.Equal(1.2, spec.Axes[0].GridValues(7)[^1]); // the range end exactly, not 0.8 + 6·(0.4/6)
        Assert.Throws<PerturbationSpecException>(() => PerturbationSpec.Parse("mass=0.5..2,kt=0.5..2,length=0.5..2").Grid(30));
    }

    [Fact]
    public void Random_samples_stay_in_their_ranges_and_repeat_per_seed()
    {
        var spec = PerturbationSpec.Parse("mass=0.8..1.2,latency=0..2,kt=0.9");
        var plants = spec.Sample(200, seed: 7);
        Assert.All(plants, p =>
        {
            Assert.InRange(p.Values[0], 0.8, 1.2);
            Assert.Contains(p.Values[1], new[] { 0.0, 1.0, 2.0 });
            Assert.Equal(0.9, p.Values[2]);
        });
        Assert.Equal(3, plants.Select(p => p.Values[1]).Distinct().Count());
        Assert.True(plants.Select(p => p.Values[0]).Distinct().Count() > 190);
        Assert.Equal(plants.Select(p => p.Values.ToArray()), spec.Sample(200, seed: 7).Select(p => p.Values.ToArray()));
        Assert.NotEqual(plants.Select(p => p.Values[0]), spec.Sample(200, seed: 8).Select(p => p.Values[0]));
    }

    [Fact]
    public void Applying_a_plant_scales_the_named_physics_and_adds_latency()
    {
        var nominal = new MotorPendulumParameters { RodMass = 0.1, LatencyTicks = 2 };
        var spec = PerturbationSpec.Parse("mass=0.8,kt=0.9,friction=1.5,length=1.1,latency=+1");
        var p = spec.Apply(nominal, spec.Grid(3)[0]);
        Assert.Equal(0.2 * 0.8, p.ArmMass, 15);
        Assert.Equal(0.1 * 0.8, p.RodMass, 15);
        Assert.Equal(0.02 * 0.9, p.TorqueConstant, 15);
        Assert.Equal(0.02 * 0.9, p.BackEmfConstant, 15); // Kt and Ke: one constant of an ideal motor
        Assert.Equal(0.01 * 1.5, p.CoulombFriction, 15);
        Assert.Equal(0.001 * 1.5, p.ViscousFriction, 15);
        Assert.Equal(0.2 * 1.1, p.ArmLength, 15);
        Assert.Equal(3, p.LatencyTicks);
        Assert.Equal(nominal with
        {
            ArmMass = p.ArmMass, RodMass = p.RodMass, TorqueConstant = p.TorqueConstant, BackEmfConstant = p.BackEmfConstant,
            CoulombFriction = p.CoulombFriction, ViscousFriction = p.ViscousFriction, ArmLength = p.ArmLength, LatencyTicks = 3,
        }, p); // nothing else changed
        Assert.Equal("mass ×0.8, kt ×0.9, friction ×1.5, length ×1.1, latency +1", spec.Describe(spec.Grid(3)[0]));
    }

    [Fact]
    public void Scale_one_and_latency_zero_give_the_nominal_plant_exactly()
    {
        var nominal = new MotorPendulumParameters { LatencyTicks = 1, ArmMass = 0.3 };
        var spec = PerturbationSpec.Parse("kt=1,mass=1.0,latency=+0");
        Assert.Equal(nominal, spec.Apply(nominal, spec.Grid(3).Single()));
    }

    [Fact]
    public void A_plant_below_zero_latency_is_refused_naming_the_plant()
    {
        var spec = PerturbationSpec.Parse("latency=-3..0");
        var e = Assert.Throws<PerturbationSpecException>(() => spec.Apply(new MotorPendulumParameters { LatencyTicks = 2 }, spec.Grid(3)[0]));
        Assert.Equal("plant latency -3 is invalid: latency_ticks must be in [0, 1000] (got -1)", e.Message);
    }
}
