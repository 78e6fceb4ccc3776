using RoboDdpg.Sim.Fitting;

namespace RoboDdpg.Sim.Tests.Fitting;

public sealed class LevenbergMarquardtTests
{
    [Fact]
    public void Recovers_an_exponential_decay_exactly_from_noise_free_samples()
    {
        // y = 2·exp(−0.7·t) sampled at t = 0, 0.25, …, 5; start far off.
        var t = Enumerable.Range(0, 21).Select(i => i * 0.25).ToArray();
        var y = t.Select(v => 2 * Math.Exp(-0.7 * v)).ToArray();
        var result = LevenbergMarquardt.Minimize((x, r) =>
        {
            for (var i = 0; i < t.Length; i++) r[i] = x[0] * Math.Exp(-x[1] * t[i]) - y[i];
            return true;
        }, [1.0, 0.1], t.Length, new LevenbergMarquardtOptions { MaxStep = 10 });

        Assert.Equal(2.0, result.X[0], 8);
        Assert.Equal(0.7, result.X[1], 8);
        Assert.True(result.Cost < 1e-20, $"cost {result.Cost}");
        Assert.True(result.StartCost > 1);
        Assert.StartsWith("converged", result.StopReason);
    }

    [Fact]
    public void Follows_the_curved_valley_of_rosenbrock_to_its_minimum()
    {
        // Rosenbrock as least squares: r = (10·(x₂ − x₁²), 1 − x₁), minimum 0 at (1, 1).
        var result = LevenbergMarquardt.Minimize((x, r) =>
        {
            r[0] = 10 * (x[1] - x[0] * x[0]);
            r[1] = 1 - x[0];
            return true;
        }, [-1.2, 1.0], 2, new LevenbergMarquardtOptions { MaxIterations = 500 });

        Assert.Equal(1.0, result.X[0], 6);
        Assert.Equal(1.0, result.X[1], 6);
    }

    [Fact]
    public void Points_the_residuals_cannot_evaluate_are_never_accepted()
    {
        // Minimum of (x − 3)² at 3, but x above 2 cannot be evaluated (a simulation that fails): the result stays feasible.
        var result = LevenbergMarquardt.Minimize((x, r) =>
        {
            r[0] = x[0] - 3;
            return x[0] <= 2;
        }, [0.0], 1, new LevenbergMarquardtOptions { MaxStep = 10 });
        Assert.InRange(result.X[0], 1.5, 2.0);
        Assert.Throws<ArgumentException>(() => LevenbergMarquardt.Minimize((_, _) => false, [0.0], 1));
    }

    [Fact]
    public void No_step_is_larger_than_the_step_limit()
    {
        var visited = new List<double>();
        LevenbergMarquardt.Minimize((x, r) =>
        {
            visited.Add(x[0]);
            r[0] = x[0] - 10;
            return true;
        }, [0.0], 1, new LevenbergMarquardtOptions { MaxStep = 0.5 });
        // Evaluations are the start, finite-difference probes (±1e-6) and trial steps; none jumps more than 0.5 from
        // the point before it was accepted, so the iterate climbs to 10 in steps of at most 0.5.
        var accepted = visited.Where((v, i) => i == 0 || Math.Abs(v - visited[i - 1]) > 1e-3).ToArray();
        Assert.All(accepted.Zip(accepted.Skip(1)), p => Assert.True(Math.Abs(p.Second - p.First) <= 0.5 + 1e-5, $"{p.First} → {p.Second}"));
        Assert.Equal(10.0, visited[^1], 6);
    }
}
