using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Fitting;

/// <summary>What a trace's velocity column measures.</summary>
public enum VelocityOutput
{
    /// <summary>θ̇ at the end of the step (what twins record).</summary>
    Exact,

    /// <summary>(θ after − θ before) / control period: an encoder's finite difference, as many drives report it.</summary>
    FiniteDifference,
}

/// <summary>Errors of simulating a whole trace (each case from its recorded start state): per output column and overall.</summary>
/// <param name="RmsError">Root mean square over every step and the three columns cos, sin, thdot.</param>
/// <param name="MaxAbsError">Largest absolute error of cos, sin or thdot (what twin-check reports, without the reward).</param>
public sealed record RolloutError(double RmsError, double MaxAbsError, double RmsCos, double RmsSin, double RmsThetaDot);

/// <summary>
/// A motor-pendulum trace prepared for fitting: simulates its cases on candidate parameters with the twin's own
/// integrator (<see cref="MotorPendulumDynamics"/>) and latency rule, and writes the differences to the recorded outputs.
/// </summary>
/// <remarks>
/// <para>
/// Short horizons (multiple shooting): with a horizon H each case is cut into windows of H steps, and every window after
/// the first restarts from the recorded state — θ = atan2(sin, cos), θ̇ = thdot of the step before (the dynamics only
/// feel sin θ) and the simulated current (not recorded; it forgets its past within a fraction of a tick since L/R ≪ the
/// control period, and on the true parameters it is the true current, so the fit is unbiased on exact data). An error in one window then cannot grow through the rest of the case: a swinging
/// pendulum amplifies differences exponentially, and Coulomb friction's stick/slip switching makes long-rollout costs
/// rugged, while over short windows the cost is close to quadratic in the parameters. Horizon 0 simulates whole cases.
/// </para>
/// <para>With <see cref="VelocityOutput.FiniteDifference"/> the simulated θ̇ output is the angle change over the tick
/// divided by the period, as an encoder-based drive reports it, and windows restart from the speed extrapolated to the
/// end of the tick (1.5·v[t] − 0.5·v[t−1]); comparing such data with the exact speed biases the fit (the mean speed
/// over a tick lags the speed at its end by half a tick).</para>
/// <para>Residuals per step: cos and sin differences, and the θ̇ difference times a weight in seconds (0.1 s: an error of
/// 1 rad/s counts as much as 0.1 rad of angle).</para>
/// </remarks>
public sealed class MotorPendulumTraceModel
{
    private readonly Case[] _cases;

    /// <exception cref="ArgumentException">The trace does not have the motor pendulum's columns.</exception>
    public MotorPendulumTraceModel(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (!trace.Schema.RequiredColumns.SequenceEqual(MotorPendulumEnvironment.Schema.RequiredColumns))
            throw new ArgumentException("the trace was not read with the motor pendulum's columns", nameof(trace));
        Trace = trace;
        _cases = trace.Cases.Select(c => new Case(c)).ToArray();
        Steps = _cases.Sum(c => c.Length);
    }

    public Trace Trace { get; }

    /// <summary>What the trace's <c>thdot</c> column holds: the exact speed (twins) or the angle change over the tick.</summary>
    public VelocityOutput VelocityOutput { get; init; } = VelocityOutput.Exact;

    /// <summary>Steps in all cases.</summary>
    public int Steps { get; }

    /// <summary>Residuals written by <see cref="WriteResiduals"/>: three per step.</summary>
    public int ResidualCount => 3 * Steps;

    /// <summary>
    /// Simulates every case with <paramref name="parameters"/> and writes the residuals (step order, cos, sin, weighted
    /// θ̇ per step). Returns false if the parameters are not a valid plant or the simulation is not finite.
    /// </summary>
    /// <param name="horizon">Steps per window; 0 (or more than a case) simulates whole cases.</param>
    public bool WriteResiduals(MotorPendulumParameters parameters, int horizon, double velocityWeight, Span<double> residuals)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(horizon);
        if (residuals.Length != ResidualCount)
            throw new ArgumentException($"residuals has {residuals.Length} entries, expected {ResidualCount}", nameof(residuals));
        MotorPendulumDynamics dynamics;
        try
        {
            dynamics = new MotorPendulumDynamics(parameters);
        }
        catch (ArgumentException)
        {
            return false;
        }

        var at = 0;
        foreach (var c in _cases)
        {
            var window = horizon == 0 ? c.Length : horizon;
            for (var t = 0; t < c.Length; t++)
            {
                if (t == 0)
                {
                    dynamics.SetState(c.Theta0, c.ThetaDot0, c.Current0);
                }
                else if (t % window == 0)
                {
                    // The current is not recorded: keep the simulated one (it forgets its past within a tick).
                    dynamics.SetState(Math.Atan2(c.Sin[t - 1], c.Cos[t - 1]), SpeedAfter(c, t - 1), dynamics.Current);
                }
                var thetaBefore = dynamics.Theta;
                dynamics.Integrate(c.Applied(t, parameters.LatencyTicks) * parameters.SupplyVoltage);
                residuals[at++] = Math.Cos(dynamics.Theta) - c.Cos[t];
                residuals[at++] = Math.Sin(dynamics.Theta) - c.Sin[t];
                var velocity = VelocityOutput == VelocityOutput.Exact
                    ? dynamics.Omega
                    : (dynamics.Theta - thetaBefore) / parameters.ControlPeriod;
                residuals[at++] = velocityWeight * (velocity - c.ThetaDot[t]);
            }
        }
        foreach (var value in residuals)
            if (!double.IsFinite(value)) return false;
        return true;
    }

    /// <summary>Errors of whole-case simulation with <paramref name="parameters"/> (what a replay on the twin gives).</summary>
    public RolloutError SimulationError(MotorPendulumParameters parameters)
    {
        var residuals = new double[ResidualCount];
        if (!WriteResiduals(parameters, 0, 1.0, residuals))
            return new RolloutError(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        double sum = 0, max = 0;
        var columns = new double[3];
        for (var i = 0; i < residuals.Length; i++)
        {
            var e = residuals[i];
            sum += e * e;
            columns[i % 3] += e * e;
            max = Math.Max(max, Math.Abs(e));
        }
        return new RolloutError(Math.Sqrt(sum / residuals.Length), max,
            Math.Sqrt(columns[0] / Steps), Math.Sqrt(columns[1] / Steps), Math.Sqrt(columns[2] / Steps));
    }

    /// <summary>
    /// The speed at the end of step <paramref name="t"/>: the recorded one, or for finite differences (the mean speed
    /// over the tick, half a tick late) the linear extrapolation 1.5·v[t] − 0.5·v[t−1] to the end of the tick.
    /// </summary>
    private double SpeedAfter(Case c, int t) =>
        VelocityOutput == VelocityOutput.Exact || t == 0 ? c.ThetaDot[t] : 1.5 * c.ThetaDot[t] - 0.5 * c.ThetaDot[t - 1];

    private sealed class Case
    {
        public Case(TraceCase source)
        {
            Theta0 = source.InitialState[0];
            ThetaDot0 = source.InitialState[1];
            Current0 = source.InitialState[2];
            Length = source.Steps.Count;
            // The twin clips the float32 duty to [−1, 1] in float64 before its latency queue.
            Duty = source.Steps.Select(s => Math.Clamp((double)s.Action[0], -1.0, 1.0)).ToArray();
            Cos = source.Steps.Select(s => s.Outputs[0]).ToArray();
            Sin = source.Steps.Select(s => s.Outputs[1]).ToArray();
            ThetaDot = source.Steps.Select(s => s.Outputs[2]).ToArray();
        }

        public double Theta0 { get; }
        public double ThetaDot0 { get; }
        public double Current0 { get; }
        public int Length { get; }
        public double[] Duty { get; }
        public double[] Cos { get; }
        public double[] Sin { get; }
        public double[] ThetaDot { get; }

        /// <summary>Duty applied at step t: the one commanded k steps earlier, the safe 0 before the case began.</summary>
        public double Applied(int t, int latency) => t >= latency ? Duty[t - latency] : 0.0;
    }
}
