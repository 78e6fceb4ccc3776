using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Sim.Traces;

/// <summary>Result of twin-checking the pendulum: largest absolute error per compared column.</summary>
public sealed record TwinCheckReport(
    int Cases,
    int Steps,
    double MaxAbsErrorCos,
    double MaxAbsErrorSin,
    double MaxAbsErrorThetaDot,
    double MaxAbsErrorReward)
{
    /// <summary>Largest of the four errors; NaN if the twin produced NaN anywhere.</summary>
    public double MaxAbsError =>
        Math.Max(Math.Max(MaxAbsErrorCos, MaxAbsErrorSin), Math.Max(MaxAbsErrorThetaDot, MaxAbsErrorReward));

    /// <summary>True when every error is at most <paramref name="tolerance"/> (false on NaN).</summary>
    public bool IsWithin(double tolerance) => MaxAbsError <= tolerance;

    /// <summary>
    /// One JSON object: <c>{"cases":16,"steps":3200,"max_abs_error":0,"cos":0,"sin":0,"thdot":0,"reward":0}</c>.
    /// Non-finite errors are written as the strings "NaN"/"Infinity", since JSON numbers cannot hold them.
    /// </summary>
    public string ToJson() => new TraceReplayResult(Cases, Steps, PendulumEnvironment.Schema.OutputColumns,
        [MaxAbsErrorCos, MaxAbsErrorSin, MaxAbsErrorThetaDot], MaxAbsErrorReward).ToJson();
}
