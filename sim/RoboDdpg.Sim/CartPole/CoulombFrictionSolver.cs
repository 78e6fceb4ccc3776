namespace RoboDdpg.Sim.CartPole;

/// <summary>
/// The implicit velocity update of a two-degree-of-freedom mechanism with Coulomb friction on each coordinate:
/// find v′ with <c>A·v′ = p − λ</c>, <c>λ_k ∈ c_k·Sign(v′_k)</c> (set-valued at v′_k = 0: a coordinate sticks while
/// the impulse it needs is within ±c_k). A is symmetric positive definite (mass matrix plus implicit damping), p the
/// momentum after the explicit forces, c_k = h·(friction force or torque).
/// </summary>
/// <remarks>
/// <para>These are the optimality conditions of the strictly convex
/// <c>Φ(v) = ½·vᵀA·v − pᵀv + c₀·|v₀| + c₁·|v₁|</c>, so the solution exists and is unique. In two dimensions it is
/// found exactly by trying the nine stick/slide patterns (both stick; one slides, the other sticks; both slide with
/// each sign): a pattern whose solution satisfies its own conditions is the minimiser. Should rounding make every
/// pattern fail its conditions by a hair (a velocity exactly at zero with the friction exactly at its limit), the
/// candidate with the lowest Φ is taken. No iteration, no allocation.</para>
/// <para>Coupled coordinates are why a per-coordinate rule (as the one-joint motor pendulum uses) is not enough:
/// whether the pole sticks to the cart depends on the cart's new velocity and vice versa.</para>
/// </remarks>
public static class CoulombFrictionSolver
{
    /// <summary>Solves the update; writes the new velocities into <paramref name="v0"/> and <paramref name="v1"/>.</summary>
    /// <param name="a00">A₀₀ (&gt; 0).</param>
    /// <param name="a01">A₀₁ = A₁₀.</param>
    /// <param name="a11">A₁₁ (&gt; 0), with A₀₀·A₁₁ &gt; A₀₁².</param>
    /// <param name="p0">Momentum of coordinate 0 after the explicit forces.</param>
    /// <param name="p1">Momentum of coordinate 1 after the explicit forces.</param>
    /// <param name="c0">Largest friction impulse of coordinate 0 (≥ 0).</param>
    /// <param name="c1">Largest friction impulse of coordinate 1 (≥ 0).</param>
    public static void Solve(double a00, double a01, double a11, double p0, double p1, double c0, double c1, out double v0, out double v1)
    {
        // Both stick: the friction impulses are p itself.
        if (Math.Abs(p0) <= c0 && Math.Abs(p1) <= c1)
        {
            v0 = 0;
            v1 = 0;
            return;
        }

        double best0 = 0, best1 = 0, bestPhi = 0; // Φ(0, 0) = 0
        double u0, u1;

        // Coordinate 0 slides (in the direction of its momentum), 1 sticks if the coupling impulse is within ±c1.
        if (Math.Abs(p0) > c0)
        {
            u0 = (p0 - Math.CopySign(c0, p0)) / a00;
            if (Math.Abs(p1 - a01 * u0) <= c1)
            {
                v0 = u0;
                v1 = 0;
                return;
            }
            Keep(u0, 0);
        }

        if (Math.Abs(p1) > c1)
        {
            u1 = (p1 - Math.CopySign(c1, p1)) / a11;
            if (Math.Abs(p0 - a01 * u1) <= c0)
            {
                v0 = 0;
                v1 = u1;
                return;
            }
            Keep(0, u1);
        }

        // Both slide: A·v = p − (σ₀·c₀, σ₁·c₁) with σ the signs of v itself.
        var det = a00 * a11 - a01 * a01;
        for (var s0 = -1; s0 <= 1; s0 += 2)
        {
            for (var s1 = -1; s1 <= 1; s1 += 2)
            {
                var r0 = p0 - s0 * c0;
                var r1 = p1 - s1 * c1;
                u0 = (a11 * r0 - a01 * r1) / det;
                u1 = (a00 * r1 - a01 * r0) / det;
                if ((c0 == 0 || Math.Sign(u0) == s0) && (c1 == 0 || Math.Sign(u1) == s1))
                {
                    v0 = u0;
                    v1 = u1;
                    return;
                }
                Keep(u0, u1);
            }
        }

        v0 = best0;
        v1 = best1;

        void Keep(double x0, double x1)
        {
            var phi = 0.5 * (a00 * x0 * x0 + 2 * a01 * x0 * x1 + a11 * x1 * x1) - p0 * x0 - p1 * x1
                + c0 * Math.Abs(x0) + c1 * Math.Abs(x1);
            if (phi < bestPhi)
            {
                bestPhi = phi;
                best0 = x0;
                best1 = x1;
            }
        }
    }
}
