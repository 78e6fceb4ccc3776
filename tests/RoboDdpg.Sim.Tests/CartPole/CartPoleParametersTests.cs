using RoboDdpg.Sim.CartPole;

namespace RoboDdpg.Sim.Tests.CartPole;

public sealed class CartPoleParametersTests
{
    [Fact]
    public void Save_and_Load_round_trip_every_field()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "p.json");
        var original = new CartPoleParameters
        {
            SupplyVoltage = 24, Resistance = 1.1, Inductance = 4e-4, TorqueConstant = 0.035, BackEmfConstant = 0.036,
            GearRatio = 1, RotorInertia = 2e-6, PulleyRadius = 0.0127, CartMass = 0.8, CartCoulombFriction = 0.5,
            CartViscousFriction = 0.3, RailLength = 0.8, PoleMass = 0.05, PoleLength = 0.4, TipMass = 0.02,
            PivotCoulombFriction = 2e-3, PivotViscousFriction = 3e-4, Gravity = 9.80665,
            MotorEncoderCountsPerRevolution = 1024, PoleEncoderCountsPerRevolution = 4096, PositionNoiseStd = 1e-5,
            AngleNoiseStd = 1e-3, CartVelocityNoiseStd = 0.01, PoleVelocityNoiseStd = 0.05, LatencyTicks = 2,
            ControlPeriod = 0.005, IntegrationSubsteps = 10, MaxEpisodeSteps = 1000, MaxCartSpeed = 4, MaxPoleSpeed = 25,
            EndStopPenalty = 20,
        };
        original.Save(path);
        Assert.Equal(original, CartPoleParameters.Load(path));
        var text = File.ReadAllText(path);
        Assert.Contains("\"pulley_radius\": 0.0127", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stall_force", text, StringComparison.Ordinal);
        Assert.DoesNotContain("motor", text.Replace("motor_encoder", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_default_file_holds_the_defaults()
    {
        Assert.Equal(new CartPoleParameters(), CartPoleParameters.Load(RepositoryFile.Locate("sim/RoboDdpg.Sim/CartPole/belt-cartpole.json")));
    }

    [Fact]
    public void Missing_fields_keep_their_defaults()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("p.json", "{ \"pole_length\": 0.3, // shorter pole\n }");
        Assert.Equal(new CartPoleParameters { PoleLength = 0.3 }, CartPoleParameters.Load(path));
    }

    [Fact]
    public void A_tip_mass_adds_to_the_first_moment_and_inertia()
    {
        // Rod 0.1 kg + tip 0.05 kg on 0.4 m: S = (0.05 + 0.05)·0.4 = 0.04, I = (0.1/3 + 0.05)·0.16 = 0.013333….
        var p = new CartPoleParameters { PoleLength = 0.4, TipMass = 0.05 };
        Assert.Equal(0.15, p.PoleTotalMass, 1e-15);
        Assert.Equal(0.04, p.PoleFirstMoment, 1e-15);
        Assert.Equal((0.1 / 3 + 0.05) * 0.16, p.PoleInertia, 1e-15);
    }

    [Theory]
    [InlineData(null, "file not found")]
    [InlineData("{ \"cart_mass\": 0.5,, }", "invalid JSON at line 1")]
    [InlineData("{ \"cart_mass\": 0.5, \"cart_weight\": 3 }", "unknown field 'cart_weight'")]
    [InlineData("{ \"pulley_radius\": -0.01 }", "pulley_radius must be finite and > 0 (got -0.01)")]
    [InlineData("{ \"rail_length\": 0 }", "rail_length must be finite and > 0 (got 0)")]
    [InlineData("{ \"latency_ticks\": 1001 }", "latency_ticks must be in [0, 1000] (got 1001)")]
    [InlineData("{ \"end_stop_penalty\": -1 }", "end_stop_penalty must be finite and >= 0 (got -1)")]
    [InlineData("{ \"latency_ticks\": 1.5 }", "invalid JSON at line 1 ($.latency_ticks)")]
    [InlineData("{\n \"gear_ratio\": \"three\"\n}", "invalid JSON at line 2 ($.gear_ratio)")]
    [InlineData("[1, 2]", "expected a JSON object, found Array")]
    [InlineData("null", "expected a JSON object, found Null")]
    public void Bad_files_give_a_one_line_message_naming_file_and_problem(string? content, string problem)
    {
        using var dir = new TempDirectory();
        var path = content is null ? Path.Combine(dir.Path, "absent.json") : dir.Write("bad.json", content);

        var ex = Assert.Throws<CartPoleParameterFileException>(() => CartPoleParameters.Load(path));

        Assert.StartsWith($"{path}: {problem}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(path, ex.FilePath);
        Assert.IsAssignableFrom<ConfigFileException>(ex);
    }
}
