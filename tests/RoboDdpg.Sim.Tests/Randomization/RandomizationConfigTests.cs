using RoboDdpg.Core.Random;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Randomization;

namespace RoboDdpg.Sim.Tests.Randomization;

/// <summary>Parsing, validation and sampling of randomization configs.</summary>
public sealed class RandomizationConfigTests
{
    [Fact]
    public void Parses_scale_and_range_forms_in_canonical_order()
    {
        var config = RandomizationConfig.Parse("""
            {
              // comments and trailing commas are fine
              "latency_ticks": { "range": [0, 3] },
              "arm_mass": { "scale": [0.8, 1.2] },
              "supply_voltage": { "range": [10, 13.5] },
            }
            """, "cfg.json");

        Assert.Equal(["supply_voltage", "arm_mass", "latency_ticks"], config.Names);
        Assert.Equal(new ParameterRandomization("supply_voltage", RandomizationKind.Range, 10, 13.5), config.Parameters[0]);
        Assert.Equal(new ParameterRandomization("arm_mass", RandomizationKind.Scale, 0.8, 1.2), config.Parameters[1]);
        Assert.Equal(new ParameterRandomization("latency_ticks", RandomizationKind.Range, 0, 3), config.Parameters[2]);
        Assert.True(config.Parameters[2].IsInteger);
        Assert.False(config.Parameters[1].IsInteger);
        Assert.Equal("cfg.json", config.FilePath);
    }

    [Fact]
    public void Example_file_loads()
    {
        var path = RepositoryFile.Locate("sim/RoboDdpg.Sim/Randomization/motor-pendulum-randomization.json");
        var config = RandomizationConfig.Load(path, MotorPendulumParameters.Load(RepositoryFile.Locate("sim/RoboDdpg.Sim/MotorPendulum/motor-pendulum.json")));
        Assert.Contains("torque_constant", config.Names);
        Assert.Contains("latency_ticks", config.Names);
        // The robustness experiment's ranges cover the evaluation grid: ±20% mass, length, Kt and +1 tick of latency.
        var robust = RandomizationConfig.Load(RepositoryFile.Locate("sim/RoboDdpg.Sim/Randomization/motor-pendulum-robust.json"),
            MotorPendulumParameters.Load(RepositoryFile.Locate("sim/RoboDdpg.Sim/MotorPendulum/motor-pendulum-last-duty.json")));
        Assert.Equal(new ParameterRandomization("latency_ticks", RandomizationKind.Range, 0, 1), robust.Parameters.Single(p => p.Name == "latency_ticks"));
        foreach (var name in new[] { "arm_mass", "arm_length", "torque_constant" })
            Assert.Equal(new ParameterRandomization(name, RandomizationKind.Scale, 0.75, 1.25), robust.Parameters.Single(p => p.Name == name));
    }

    [Fact]
    public void Empty_object_randomizes_nothing()
    {
        var config = RandomizationConfig.Parse("{}", "cfg.json");
        Assert.Empty(config.Parameters);
        var p = config.Sample(new Xoshiro256(1), new MotorPendulumParameters(), []);
        Assert.Equal(new MotorPendulumParameters(), p);
    }

    [Theory]
    [InlineData("{ \"arm_mass\": ", "invalid JSON at line 1")]
    [InlineData("[1, 2]", "expected a JSON object, found Array")]
    [InlineData("{ \"arm_weight\": { \"scale\": [1, 2] } }", "unknown parameter 'arm_weight' (known: supply_voltage, ")]
    [InlineData("{ \"max_speed\": { \"scale\": [1, 2] } }", "unknown parameter 'max_speed'")]
    [InlineData("{ \"arm_mass\": { \"scale\": [1, 2] }, \"arm_mass\": { \"scale\": [1, 2] } }", "arm_mass: given twice")]
    [InlineData("{ \"arm_mass\": [0.8, 1.2] }", "arm_mass: expected { \"scale\": [min, max] } or { \"range\": [min, max] }, found Array")]
    [InlineData("{ \"arm_mass\": { \"factor\": [0.8, 1.2] } }", "arm_mass: unknown key 'factor' (use 'scale' or 'range')")]
    [InlineData("{ \"arm_mass\": { } }", "arm_mass: missing 'scale' or 'range'")]
    [InlineData("{ \"arm_mass\": { \"scale\": [1, 1], \"range\": [0.1, 0.2] } }", "arm_mass: give one of 'scale' or 'range', not both")]
    [InlineData("{ \"arm_mass\": { \"scale\": [0.8] } }", "arm_mass.scale: expected two numbers [min, max]")]
    [InlineData("{ \"arm_mass\": { \"scale\": [0.8, \"1.2\"] } }", "arm_mass.scale: expected two numbers [min, max]")]
    [InlineData("{ \"arm_mass\": { \"scale\": [1.2, 0.8] } }", "arm_mass.scale: min 1.2 > max 0.8")]
    [InlineData("{ \"resistance\": { \"range\": [3, 1] } }", "resistance.range: min 3 > max 1")]
    [InlineData("{ \"arm_mass\": { \"scale\": [-0.1, 1.2] } }", "arm_mass.scale: min -0.1 gives negative values")]
    [InlineData("{ \"coulomb_friction\": { \"range\": [-0.01, 0.01] } }", "coulomb_friction.range: min -0.01 gives negative values")]
    [InlineData("{ \"latency_ticks\": { \"scale\": [1, 2] } }", "latency_ticks: an integer parameter takes 'range', not 'scale'")]
    [InlineData("{ \"latency_ticks\": { \"range\": [0, 1.5] } }", "latency_ticks.range: bounds must be whole numbers in [0, 1000]")]
    [InlineData("{ \"arm_length\": { \"range\": [0, 0.3] } }", "lowest sample is invalid: arm_length must be finite and > 0 (got 0)")]
    [InlineData("{ \"supply_voltage\": { \"scale\": [0, 1] } }", "lowest sample is invalid: supply_voltage must be finite and > 0 (got 0)")]
    [InlineData("{ \"arm_mass\": { \"range\": [0, 1] } }", "lowest sample is invalid: total inertia")]
    public void Bad_config_gives_one_line_file_colon_problem(string json, string problem)
    {
        // No rotor inertia, so arm_mass 0 (last case) makes the total inertia 0, which Validate rejects.
        var baseParameters = new MotorPendulumParameters { RotorInertia = 0 };
        using var dir = new TempDirectory();
        var path = dir.Write("rand.json", json);

        var ex = Assert.Throws<RandomizationConfigException>(() => RandomizationConfig.Load(path, baseParameters));

        Assert.StartsWith($"{path}: {problem}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "absent.json");
        var ex = Assert.Throws<RandomizationConfigException>(() => RandomizationConfig.Load(path));
        Assert.Equal($"{path}: file not found", ex.Message);
    }

    [Fact]
    public void Base_parameters_take_part_in_validation()
    {
        // Fine around the defaults, but a base with no rotor and no rod has zero inertia at arm_mass scale 0.
        const string json = """{ "arm_mass": { "scale": [0, 1] } }""";
        RandomizationConfig.Parse(json, "cfg.json");
        var ex = Assert.Throws<RandomizationConfigException>(() =>
            RandomizationConfig.Parse(json, "cfg.json", new MotorPendulumParameters { RotorInertia = 0 }));
        Assert.StartsWith("cfg.json: lowest sample is invalid: total inertia", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Samples_stay_inside_their_ranges_and_cover_them()
    {
        var config = RandomizationConfig.Parse("""
            {
              "arm_mass": { "scale": [0.5, 1.5] },
              "resistance": { "range": [1.5, 2.5] },
              "torque_constant": { "scale": [0.9, 1.1] },
              "latency_ticks": { "range": [1, 3] }
            }
            """, "cfg.json");
        var baseParameters = new MotorPendulumParameters { BackEmfConstant = 0.03 }; // Ke/Kt = 1.5
        var rng = new Xoshiro256(7);
        var values = new double[4];
        var latencies = new HashSet<int>();
        double minMass = double.MaxValue, maxMass = double.MinValue;
        for (var k = 0; k < 2000; k++)
        {
            var p = config.Sample(rng, baseParameters, values);
            Assert.InRange(p.ArmMass, 0.1, 0.3);
            Assert.InRange(p.Resistance, 1.5, 2.5);
            Assert.InRange(p.TorqueConstant, 0.018, 0.022);
            Assert.Equal(1.5 * p.TorqueConstant, p.BackEmfConstant, 1e-15); // Ke follows Kt, keeping the base ratio
            Assert.InRange(p.LatencyTicks, 1, 3);
            Assert.Equal([p.Resistance, p.TorqueConstant, p.ArmMass, p.LatencyTicks], values);
            // Everything else is the base.
            Assert.Equal(baseParameters with
            {
                ArmMass = p.ArmMass, Resistance = p.Resistance, TorqueConstant = p.TorqueConstant,
                BackEmfConstant = p.BackEmfConstant, LatencyTicks = p.LatencyTicks,
            }, p);
            latencies.Add(p.LatencyTicks);
            minMass = Math.Min(minMass, p.ArmMass);
            maxMass = Math.Max(maxMass, p.ArmMass);
        }
        Assert.Equal([1, 2, 3], latencies.Order());
        Assert.True(minMass < 0.11 && maxMass > 0.29, $"arm_mass covered only [{minMass}, {maxMass}]");
    }

    [Fact]
    public void Ke_equals_Kt_when_the_base_Kt_is_zero()
    {
        var config = RandomizationConfig.Parse("""{ "torque_constant": { "range": [0.01, 0.03] } }""", "cfg.json");
        var p = config.Sample(new Xoshiro256(3), new MotorPendulumParameters { TorqueConstant = 0 }, new double[1]);
        Assert.Equal(p.TorqueConstant, p.BackEmfConstant);
        Assert.InRange(p.TorqueConstant, 0.01, 0.03);
    }
}
