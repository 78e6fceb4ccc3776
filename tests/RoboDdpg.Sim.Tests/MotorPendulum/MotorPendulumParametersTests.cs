using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Sim.Tests.MotorPendulum;

public sealed class MotorPendulumParametersTests
{
    [Fact]
    public void Save_and_Load_round_trip_every_field()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "p.json");
        var original = new MotorPendulumParameters
        {
            SupplyVoltage = 7.4, Resistance = 3.3, Inductance = 2.5e-4, TorqueConstant = 0.015, BackEmfConstant = 0.016,
            GearRatio = 51.45, RotorInertia = 3e-7, ArmMass = 0.05, ArmLength = 0.15, RodMass = 0.01, Gravity = 9.80665,
            CoulombFriction = 0.02, ViscousFriction = 0.002, EncoderCountsPerRevolution = 4096, AngleNoiseStd = 1e-3,
            VelocityNoiseStd = 0.05, LatencyTicks = 2, ControlPeriod = 0.005, IntegrationSubsteps = 10,
            MaxEpisodeSteps = 1000, MaxSpeed = 25,
        };
        original.Save(path);
        Assert.Equal(original, MotorPendulumParameters.Load(path));
        Assert.Contains("\"supply_voltage\": 7.4", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.DoesNotContain("total_inertia", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_default_file_holds_the_defaults()
    {
        Assert.Equal(new MotorPendulumParameters(), MotorPendulumParameters.Load(RepositoryFile.Locate("sim/RoboDdpg.Sim/MotorPendulum/motor-pendulum.json")));
        // The robustness experiment's plant: the defaults, observing the duty in flight.
        Assert.Equal(new MotorPendulumParameters { ObserveLastDuty = true },
            MotorPendulumParameters.Load(RepositoryFile.Locate("sim/RoboDdpg.Sim/MotorPendulum/motor-pendulum-last-duty.json")));
    }

    [Fact]
    public void Missing_fields_keep_their_defaults()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("p.json", "{ \"arm_mass\": 0.3, // heavier arm\n }");
        Assert.Equal(new MotorPendulumParameters { ArmMass = 0.3 }, MotorPendulumParameters.Load(path));
    }

    [Fact]
    public void Derived_quantities_of_the_defaults()
    {
        var p = new MotorPendulumParameters();
        Assert.Equal(900 * 1e-6 + 0.2 * 0.04, p.TotalInertia, 1e-15); // 8.9e-3 kg·m²
        Assert.Equal(0.3924, p.GravityTorque, 1e-15);
        Assert.Equal(20.0, p.NoLoadSpeed, 1e-12);
        Assert.Equal(6.0, p.StallCurrent);
    }

    [Theory]
    [InlineData(null, "file not found")]
    [InlineData("{ \"resistance\": 2,, }", "invalid JSON at line 1")]
    [InlineData("{ \"resistance\": 2, \"resistence\": 3 }", "unknown field 'resistence'")]
    [InlineData("{ \"resistance\": -1 }", "resistance must be finite and > 0 (got -1)")]
    [InlineData("{ \"latency_ticks\": 1.5 }", "invalid JSON at line 1 ($.latency_ticks)")]
    [InlineData("{\n \"gear_ratio\": \"thirty\"\n}", "invalid JSON at line 2 ($.gear_ratio)")]
    [InlineData("[1, 2]", "expected a JSON object, found Array")]
    public void Bad_files_give_a_one_line_message_naming_file_and_problem(string? content, string problem)
    {
        using var dir = new TempDirectory();
        var path = content is null ? Path.Combine(dir.Path, "absent.json") : dir.Write("bad.json", content);

        var ex = Assert.Throws<ParameterFileException>(() => MotorPendulumParameters.Load(path));

        Assert.StartsWith($"{path}: {problem}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(path, ex.FilePath);
    }
}
