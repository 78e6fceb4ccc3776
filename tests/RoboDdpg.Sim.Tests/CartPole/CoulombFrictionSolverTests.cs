using RoboDdpg.Core.Random;
using RoboDdpg.Sim.CartPole;

namespace RoboDdpg.Sim.Tests.CartPole;

public sealed class CoulombFrictionSolverTests
{
    [Fact]
    public void Small_momenta_stick_exactly()
    {
        CoulombFrictionSolver.Solve(2, 0.5, 1, 0.3, -0.1, 0.3, 0.1, out var v0, out var v1);
        Assert.Equal((0.0, 0.0), (v0, v1));
    }

    [Fact]
    public void Without_friction_it_is_the_linear_solve()
    {
        // [[2, 0.5], [0.5, 1]]·v = (1, 2): det 1.75, v = ((1·1 − 0.5·2)/1.75, (2·2 − 0.5·1)/1.75) = (0, 2).
        CoulombFrictionSolver.Solve(2, 0.5, 1, 1, 2, 0, 0, out var v0, out var v1);
        Assert.Equal(0.0, v0, 1e-15);
        Assert.Equal(2.0, v1, 1e-15);
    }

    [Fact]
    public void One_coordinate_slides_while_the_coupling_impulse_keeps_the_other_stuck()
    {
        // Coordinate 0 slides: v0 = (3 − 1)/2 = 1; coordinate 1 then needs the impulse 0.2 − 0.5·1 = −0.3, within ±0.5.
        CoulombFrictionSolver.Solve(2, 0.5, 1, 3, 0.2, 1, 0.5, out var v0, out var v1);
        Assert.Equal((1.0, 0.0), (v0, v1));

        // With c1 = 0.2 it cannot hold: both slide, v1 < 0: A·v = (3 − 1, 0.2 + 0.2) → v = ((2 − 0.2)/1.75, (0.8 − 1)/1.75).
        CoulombFrictionSolver.Solve(2, 0.5, 1, 3, 0.2, 1, 0.2, out v0, out v1);
        Assert.Equal(1.8 / 1.75, v0, 1e-15);
        Assert.Equal(-0.2 / 1.75, v1, 1e-15);
    }

    [Fact]
    public void The_result_minimises_the_convex_objective_on_random_problems()
    {
        // Φ(v) = ½vᵀAv − pᵀv + c₀|v₀| + c₁|v₁| is strictly convex; its minimiser is the solution. Check that no
        // nearby point (64 directions at three radii) has a lower Φ, on 2000 random problems.
        var rng = new Xoshiro256(7);
        for (var n = 0; n < 2000; n++)
        {
            var a00 = rng.NextUniform(0.1, 2);
            var a11 = rng.NextUniform(0.01, 1);
            var a01 = rng.NextUniform(-0.95, 0.95) * Math.Sqrt(a00 * a11);
            var p0 = rng.NextUniform(-1, 1);
            var p1 = rng.NextUniform(-1, 1);
            var c0 = n % 4 == 0 ? 0 : rng.NextUniform(0, 0.8);
            var c1 = n % 5 == 0 ? 0 : rng.NextUniform(0, 0.8);
            CoulombFrictionSolver.Solve(a00, a01, a11, p0, p1, c0, c1, out var v0, out var v1);

            double Phi(double x0, double x1) =>
                0.5 * (a00 * x0 * x0 + 2 * a01 * x0 * x1 + a11 * x1 * x1) - p0 * x0 - p1 * x1 + c0 * Math.Abs(x0) + c1 * Math.Abs(x1);
            // Rounding of Φ itself is ~1e-16·|Φ|; a wrong stick/slide pattern costs first order, ≥ 1e-4·|λ − c|.
            var best = Phi(v0, v1) - 1e-13 * (1 + Math.Abs(Phi(v0, v1)));
            foreach (var radius in new[] { 1e-4, 1e-2, 0.1 })
            {
                for (var k = 0; k < 64; k++)
                {
                    var angle = 2 * Math.PI * k / 64;
                    Assert.True(Phi(v0 + radius * Math.Cos(angle), v1 + radius * Math.Sin(angle)) >= best,
                        $"problem {n}: a lower Φ {radius} away from ({v0}, {v1})");
                }
            }
            Assert.True(Phi(0, v1) >= best && Phi(v0, 0) >= best && Phi(0, 0) >= best, $"problem {n}");
        }
    }
}
