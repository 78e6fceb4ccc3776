using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Perturbation;

namespace RoboDdpg.Sim.Tests.Perturbation;

public sealed class RobustnessEvaluationTests
{
    // duty = tanh(0.5·cos θ − 2·sin θ − 0.3·θ̇ + 0.1): a fixed, state-dependent controller, no training needed.
    private static MlpPolicy Linear() => new([new DenseLayer(3, 1, [0.5f, -2f, -0.3f], [0.1f])], [-1f], [1f]);

    [Fact]
    public void A_scale_of_one_reproduces_the_nominal_returns_exactly_and_one_tick_of_latency_changes_them()
    {
        var nominal = new MotorPendulumParameters { AngleNoiseStd = 0.002, VelocityNoiseStd = 0.05, MaxEpisodeSteps = 150 };
        var spec = PerturbationSpec.Parse("kt=1.0,latency=0..1");
        var report = RobustnessEvaluation.Run(Linear(), nominal, spec, spec.Grid(3), episodes: 3, seed: 42);

        Assert.Equal(2, report.Plants.Count);
        var same = report.Plants[0];
        Assert.Equal(report.NominalResult.Returns, same.Result.Returns); // same seeds, same noise, same plant: bit for bit
        Assert.Equal(0.0, same.ChangePercent);

        var late = report.Plants[1];
        Assert.Equal(1, late.Parameters.LatencyTicks);
        for (var i = 0; i < 3; i++) Assert.NotEqual(report.NominalResult.Returns[i], late.Result.Returns[i]);
        Assert.Equal((late.Result.Mean - report.NominalResult.Mean) / Math.Abs(report.NominalResult.Mean) * 100, late.ChangePercent, 12);

        // The episodes are the policy's deterministic evaluation on a plain twin with the same seeds.
        using var twin = new MotorPendulumEnvironment(nominal with { LatencyTicks = 1 }, seed: 0).Start();
        Assert.Equal(PolicyEvaluator.Evaluate(twin, Linear(), 3, 42).Returns, late.Result.Returns);
    }

    [Fact]
    public void Heavier_arms_change_the_return_and_every_plant_keeps_the_episode_seeds()
    {
        var nominal = new MotorPendulumParameters { MaxEpisodeSteps = 100 };
        var spec = PerturbationSpec.Parse("mass=0.5..2");
        var report = RobustnessEvaluation.Run(Linear(), nominal, spec, spec.Grid(3), episodes: 2, seed: 1);
        Assert.Equal([0.5, 1.25, 2.0], report.Plants.Select(p => p.Plant.Values[0]));
        Assert.Equal(3, report.Plants.Select(p => p.Result.Mean).Distinct().Count());
        Assert.Equal(0.2 * 2.0, report.Plants[2].Parameters.ArmMass, 15);
    }

    [Fact]
    public void Worst_case_and_mean_loss_are_taken_against_the_nominal_return()
    {
        var spec = PerturbationSpec.Parse("mass=0.8..1.2");
        var nominal = new MotorPendulumParameters();
        PlantEvaluation Plant(double factor, double mean) => new(new PerturbedPlant([factor]), $"mass ×{factor}", nominal,
            new EvaluationResult([mean]), RobustnessEvaluation.ChangePercent(mean, -100));
        var report = new RobustnessReport(spec, nominal, new EvaluationResult([-100.0]),
            [Plant(0.8, -110), Plant(1.0, -90), Plant(1.2, -130)]);

        Assert.Equal([-10.0, 10.0, -30.0], report.Plants.Select(p => p.ChangePercent));
        Assert.Equal(1.2, report.Worst.Plant.Values[0]);
        Assert.Equal(30.0, report.WorstLossPercent, 12);
        Assert.Equal(10.0, report.MeanLossPercent, 12); // (10 − 10 + 30) / 3
        Assert.True(double.IsNaN(RobustnessEvaluation.ChangePercent(-5, 0)));
    }
}
