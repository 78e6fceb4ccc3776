namespace RoboDdpg.Hardware.Description;

/// <summary>Where something was written in a robot description file (1-based line), for error messages.</summary>
public sealed record SourceLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// A robot as its description file states it: devices, how readings form the observation, how actions become device
/// commands, the safe action, the control rate, the task's reward and termination, the fault policy, and how long the
/// robot settles under the safe action between episodes (a pendulum arm comes to hang still: the next swing-up starts
/// from rest, as the twin's episodes do).
/// Produced only by <see cref="RobotDescriptionLoader"/>, which validates everything.
/// </summary>
public sealed record RobotDescription(
    string Name,
    string SourceFile,
    double ControlRateHz,
    int? MaxEpisodeSteps,
    IReadOnlyList<DeviceDescription> Devices,
    IReadOnlyList<ObservationEntry> Observation,
    IReadOnlyList<ActionEntry> Action,
    IReadOnlyList<float> SafeAction,
    IReadOnlyList<RewardTerm> Reward,
    IReadOnlyList<TerminationCondition> Termination,
    FaultPolicy Faults,
    EmulationDescription? Emulation,
    double SettleSeconds = 0,
    TraceDescription? Trace = null)
{
    /// <summary>Control ticks of safe action between episodes (<see cref="SettleSeconds"/> at the control rate).</summary>
    public int SettleTicks => (int)Math.Round(SettleSeconds * ControlRateHz);

    public double ControlPeriodSeconds => 1.0 / ControlRateHz;
}

/// <summary>One device: its name, catalog type and settings (validated against the type's schema, defaults filled in).</summary>
public sealed record DeviceDescription(string Name, string Type, DeviceSettings Settings, SourceLocation Location);

/// <summary>A device channel named as "device.channel" in the description.</summary>
public readonly record struct SignalRef(string Device, string Channel)
{
    public override string ToString() => $"{Device}.{Channel}";
}

/// <summary>How an observation entry is computed from its signal.</summary>
public enum SignalTransform
{
    /// <summary>value · scale + offset.</summary>
    None,

    /// <summary>cos(value · scale + offset): for angles, a continuous encoding without the 2π wrap.</summary>
    Cos,

    /// <summary>sin(value · scale + offset).</summary>
    Sin,
}

/// <summary>
/// One observation entry: <c>x = signal·scale + offset</c>, then <c>cos(x)</c> or <c>sin(x)</c> when
/// <paramref name="Transform"/> says so (so scale and offset calibrate the angle before the encoding, e.g. an offset of
/// π turns "0 = hanging down" into "0 = upright"); expected within [low, high]. A reading older than
/// <paramref name="MaxAgeTicks"/> control ticks (its device has not delivered a fresh value) marks the observation stale.
/// With <paramref name="Action"/> set instead of a device signal, x is that action entry's value as written on the
/// previous tick (policy units; the safe action after activation): with actuation latency the command in flight is part
/// of the state, and a twin trained with it (e.g. motor-pendulum's <c>observe_last_duty</c>) expects to see it.
/// Exactly one of <paramref name="Signal"/> and <paramref name="Action"/> is set.
/// </summary>
public sealed record ObservationEntry(
    string Name, SignalRef? Signal, SignalTransform Transform, double Scale, double Offset, float Low, float High,
    int MaxAgeTicks, SourceLocation Location, string? Action = null);

/// <summary>
/// One action entry: the policy's value in [low, high] becomes the command <c>value·scale + offset</c> on the
/// device output, clamped to [command_min, command_max] (the device's own safe range).
/// </summary>
public sealed record ActionEntry(
    string Name, SignalRef Command, float Low, float High, double Scale, double Offset, double CommandMin, double CommandMax,
    SourceLocation Location);

/// <summary>
/// A reward term: <c>weight · d²</c> with <c>d = x − target</c>, where x is the raw device signal or the action entry's
/// policy value (before its scale/offset); for an angle signal with <paramref name="WrapAngle"/>, d is wrapped to
/// (−π, π] after subtracting the target. The reward is the sum of the terms, evaluated on the readings the action was
/// chosen from and the action applied (as the twins do). Exactly one of <paramref name="Signal"/> and
/// <paramref name="Action"/> is set.
/// </summary>
public sealed record RewardTerm(SignalRef? Signal, string? Action, double Target, double Weight, bool WrapAngle, SourceLocation Location);

/// <summary>
/// The episode terminates (true termination, no bootstrap) when the raw signal goes below <paramref name="Below"/> or
/// above <paramref name="Above"/> (at least one is set).
/// </summary>
public sealed record TerminationCondition(SignalRef Signal, double? Below, double? Above, SourceLocation Location);

/// <summary>
/// How device faults are handled. Retries must fit in the tick: <see cref="WorstCaseIoMicroseconds"/> (every attempt
/// allowed <see cref="AttemptAllowanceMicroseconds"/>, plus the pauses between them) is checked against the control
/// period at load.
/// </summary>
/// <param name="Retries">Immediate retries of a transient I/O error within one tick.</param>
/// <param name="RetryDelayMicroseconds">Pause between retries.</param>
/// <param name="BreakAfterFailures">Consecutive failed ticks after which the device's circuit opens.</param>
/// <param name="BreakSeconds">How long an open circuit stays open before one probe is let through.</param>
/// <param name="SafeAfterTicks">Ticks with a stale or failed observation after which the loop writes the safe action.</param>
/// <param name="GiveUpAfterSeconds">A device still broken after this long stops the run (safe action, learning paused, report).</param>
public sealed record FaultPolicy(
    int Retries = 2,
    int RetryDelayMicroseconds = 100,
    int BreakAfterFailures = 5,
    double BreakSeconds = 0.5,
    int SafeAfterTicks = 3,
    double GiveUpAfterSeconds = 5.0)
{
    /// <summary>Time one I/O attempt is budgeted in the tick check (a short I2C transfer or GPIO read).</summary>
    public const int AttemptAllowanceMicroseconds = 100;

    /// <summary>The longest one tick's I/O on a device may take: (retries + 1) attempts plus the pauses between them.</summary>
    public int WorstCaseIoMicroseconds => (Retries + 1) * AttemptAllowanceMicroseconds + Retries * RetryDelayMicroseconds;
}

/// <summary>
/// What <c>hil --emulate</c> runs this robot's devices against: a twin name (e.g. "motor-pendulum"), an optional
/// parameter file for it (relative to the description file) and a schedule of injected faults.
/// </summary>
public sealed record EmulationDescription(string Twin, string? ParametersFile, SourceLocation Location)
{
    /// <summary>Faults the emulated devices suffer during a run, in the order given.</summary>
    public IReadOnlyList<EmulatedFault> Faults { get; init; } = [];
}

/// <summary>
/// One injected fault of an emulated device: from <paramref name="AtSeconds"/> after the start for
/// <paramref name="ForSeconds"/> seconds. Kinds: nack (I2C devices refuse every transaction), stuck (registers or
/// feedback frozen), garbage (0xFF reads, garbled serial answers), latency (each transaction delayed by
/// <paramref name="LatencyMilliseconds"/>), disconnect (serial cable pulled), silence (serial answers dropped),
/// illegal-edges (an encoder's A and B change together).
/// </summary>
public sealed record EmulatedFault(string Device, string Kind, double AtSeconds, double ForSeconds, double LatencyMilliseconds, SourceLocation Location)
{
    public static IReadOnlyList<string> Kinds { get; } = ["nack", "stuck", "garbage", "latency", "disconnect", "silence", "illegal-edges"];
}

/// <summary>
/// How a run of this robot is recorded as a trace in a twin's CSV shape (<c>--record-trace</c>; twin-check and fit
/// read it): each state column is a device signal plus an offset, or a constant (an unmeasured quantity, e.g. 0 for
/// the motor current); action columns name the action entries in order; output columns name observation entries.
/// </summary>
public sealed record TraceDescription(
    IReadOnlyList<TraceStateColumn> State,
    IReadOnlyList<string> ActionColumns,
    IReadOnlyList<(string Column, string Observation)> Outputs,
    SourceLocation Location);

/// <summary>A trace state column: <c>signal + offset</c>, or <paramref name="Offset"/> alone when there is no signal.</summary>
public sealed record TraceStateColumn(string Column, SignalRef? Signal, double Offset);
