namespace RoboDdpg.Sim.Fitting;

/// <summary>Settings of <see cref="LevenbergMarquardt"/>.</summary>
public sealed record LevenbergMarquardtOptions
{
    public int MaxIterations { get; init; } = 100;

    /// <summary>Step of the central finite differences, in units of x (log-parameters: a relative step).</summary>
    public double DifferenceStep { get; init; } = 1e-6;

    /// <summary>Stop when an accepted step lowers the cost by less than this fraction.</summary>
    public double RelativeTolerance { get; init; } = 1e-12;

    /// <summary>Largest change of any x in one step (log-parameters: at most a factor e^0.5 per iteration); larger steps raise λ.</summary>
    public double MaxStep { get; init; } = 0.5;
}

/// <summary>Outcome of a minimization.</summary>
/// <param name="Cost">½·Σ r² at <paramref name="X"/>.</param>
public sealed record LevenbergMarquardtResult(double[] X, double Cost, double StartCost, int Iterations, int Evaluations, string StopReason);

/// <summary>
/// Levenberg–Marquardt least squares with a central finite-difference Jacobian: minimizes ½·Σ rᵢ(x)² for a residual
/// function evaluated by simulation. Each iteration solves (JᵀJ + λ·s·I)·δ = −Jᵀr with s the largest diagonal entry
/// of JᵀJ: damping by a multiple of the identity (Levenberg's form) holds back the poorly determined directions — in log-parameters all directions have
/// the same units — until the well determined ones have settled, where Marquardt's diag(JᵀJ) scaling would let a barely
/// felt parameter (viscous friction beside the motor's back-EMF damping) jump by orders of magnitude. A step larger than
/// <see cref="LevenbergMarquardtOptions.MaxStep"/> or one that does not lower the cost raises λ; an accepted one lowers
/// it by Nielsen's rule (the better the linear model predicted the decrease, the more). A residual function that returns
/// false or non-finite values (a simulation that failed) counts as an infinite cost, so the step is refused.
/// </summary>
public static class LevenbergMarquardt
{
    /// <param name="residuals">Writes r(x) into the array; returns false if x cannot be evaluated.</param>
    /// <param name="residualCount">Length of r.</param>
    public static LevenbergMarquardtResult Minimize(Func<double[], double[], bool> residuals, double[] start, int residualCount,
        LevenbergMarquardtOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(residuals);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(residualCount, 1);
        options ??= new LevenbergMarquardtOptions();
        var n = start.Length;
        var x = (double[])start.Clone();
        var r = new double[residualCount];
        var evaluations = 0;

        double Cost(double[] at, double[] into)
        {
            evaluations++;
            if (!residuals(at, into)) return double.PositiveInfinity;
            var sum = 0.0;
            foreach (var value in into) sum += value * value;
            return double.IsFinite(sum) ? sum / 2 : double.PositiveInfinity;
        }

        var cost = Cost(x, r);
        if (!double.IsFinite(cost))
            throw new ArgumentException("the residuals cannot be evaluated at the start point", nameof(start));
        var startCost = cost;
        if (n == 0) return new LevenbergMarquardtResult(x, cost, startCost, 0, evaluations, "nothing to fit");

        var jacobian = new double[n][];
        for (var j = 0; j < n; j++) jacobian[j] = new double[residualCount];
        var plus = new double[residualCount];
        var minus = new double[residualCount];
        var trial = new double[residualCount];
        var probe = new double[n];
        var normal = new double[n, n];
        var gradient = new double[n];
        var step = new double[n];
        var candidate = new double[n];
        var lambda = 1e-3;
        var nu = 2.0;
        var reason = "iteration limit";
        var iteration = 0;

        for (; iteration < options.MaxIterations; iteration++)
        {
            if (cost == 0) { reason = "exact fit"; break; }
            // Jacobian column j = (r(x + h·e_j) − r(x − h·e_j)) / 2h; a failed side falls back to a one-sided difference.
            for (var j = 0; j < n; j++)
            {
                var h = options.DifferenceStep;
                x.CopyTo(probe, 0);
                probe[j] = x[j] + h;
                var upOk = double.IsFinite(Cost(probe, plus));
                probe[j] = x[j] - h;
                var downOk = double.IsFinite(Cost(probe, minus));
                var column = jacobian[j];
                for (var i = 0; i < residualCount; i++)
                {
                    column[i] = upOk && downOk ? (plus[i] - minus[i]) / (2 * h)
                        : upOk ? (plus[i] - r[i]) / h
                        : downOk ? (r[i] - minus[i]) / h
                        : 0;
                }
            }
            for (var a = 0; a < n; a++)
            {
                gradient[a] = Dot(jacobian[a], r);
                for (var b = 0; b <= a; b++) normal[a, b] = normal[b, a] = Dot(jacobian[a], jacobian[b]);
            }

            var accepted = false;
            while (lambda < 1e16)
            {
                if (!Solve(normal, gradient, lambda, step, out var scale)) { lambda *= nu; nu *= 2; continue; }
                var largest = 0.0;
                foreach (var s in step) largest = Math.Max(largest, Math.Abs(s));
                if (largest > options.MaxStep) { lambda *= nu; nu *= 2; continue; } // trust region: damp more instead of jumping
                for (var j = 0; j < n; j++) candidate[j] = x[j] + step[j];
                var candidateCost = Cost(candidate, trial);
                // Predicted decrease of the linear model: ½·δᵀ(λ·s·δ − g), with s the damping scale.
                var predicted = 0.0;
                for (var j = 0; j < n; j++) predicted += step[j] * (lambda * scale * step[j] - gradient[j]);
                predicted /= 2;
                if (candidateCost < cost && predicted > 0)
                {
                    var decrease = (cost - candidateCost) / cost;
                    var rho = (cost - candidateCost) / predicted;
                    candidate.CopyTo(x, 0);
                    trial.CopyTo(r, 0);
                    cost = candidateCost;
                    // Nielsen's update: trust the model more the better it predicted the decrease.
                    lambda = Math.Max(lambda * Math.Max(1.0 / 3, 1 - Math.Pow(2 * rho - 1, 3)), 1e-20);
                    nu = 2;
                    accepted = true;
                    if (decrease < options.RelativeTolerance) reason = "converged (cost no longer falls)";
                    else if (largest < 1e-12) reason = "converged (step below 1e-12)";
                    break;
                }
                lambda *= nu;
                nu *= 2;
            }
            if (!accepted) { reason = "converged (no step lowers the cost)"; iteration++; break; }
            if (reason.StartsWith("converged", StringComparison.Ordinal)) { iteration++; break; }
        }
        return new LevenbergMarquardtResult(x, cost, startCost, iteration, evaluations, reason);
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>
    /// Solves (A + λ·s·I)·δ = −g by Cholesky, s = the largest diagonal entry of A; false if not positive definite.
    /// </summary>
    private static bool Solve(double[,] a, double[] g, double lambda, double[] delta, out double scale)
    {
        var n = g.Length;
        scale = 0.0;
        for (var i = 0; i < n; i++) scale = Math.Max(scale, a[i, i]);
        if (!(scale > 0)) scale = 1;
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                if (i == j) sum += lambda * scale;
                for (var k = 0; k < j; k++) sum -= l[i, k] * l[j, k];
                if (i == j)
                {
                    if (!(sum > 0)) return false;
                    l[i, i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i, j] = sum / l[j, j];
                }
            }
        }
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var sum = -g[i];
            for (var k = 0; k < i; k++) sum -= l[i, k] * y[k];
            y[i] = sum / l[i, i];
        }
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = y[i];
            for (var k = i + 1; k < n; k++) sum -= l[k, i] * delta[k];
            delta[i] = sum / l[i, i];
        }
        return true;
    }
}
