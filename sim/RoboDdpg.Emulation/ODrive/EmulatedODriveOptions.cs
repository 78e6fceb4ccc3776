namespace RoboDdpg.Emulation.ODrive;

/// <summary>How an <see cref="EmulatedODrive"/> is wired to its plant.</summary>
public sealed record EmulatedODriveOptions
{
    /// <summary>The axis (0 or 1) whose motor drives the plant; the other axis answers but moves nothing.</summary>
    public int Axis { get; init; }

    /// <summary>
    /// Motor turns per output turn between the ODrive's encoder and the arm: the conversion between the protocol's motor
    /// units and the plant's output shaft. Null takes the plant's <c>GearRatio</c> (encoder on the motor of a geared
    /// arm); an emulated robot passes its description's <c>gear_ratio</c>, so driver and emulator agree.
    /// </summary>
    public double? GearRatio { get; init; }

    /// <summary>
    /// The output-shaft angle (rad, plant convention: 0 upright) where the encoder reads 0. Null: the plant's angle when
    /// the emulator starts, as an ODrive's incremental encoder counts from where the shaft was at power-on (a description
    /// then adds that angle back, e.g. π for an arm hanging down at power-on).
    /// </summary>
    public double? EncoderZero { get; init; }

    /// <summary>What <c>r vbus_voltage</c> answers, in V.</summary>
    public double BusVoltage { get; init; } = 24.0;

    /// <summary>
    /// Bandwidth of the emulated velocity loop in rad/s: gains are P = J·bandwidth and I = P·bandwidth/4 from the
    /// plant's output inertia J (see <see cref="EmulatedODrive"/> for why not the ODrive's own gains).
    /// </summary>
    public double VelocityLoopBandwidth { get; init; } = 30;

    /// <summary>Output-shaft torque limit in N·m of both control modes (the ODrive's torque_lim × gear ratio).</summary>
    public double TorqueLimit { get; init; } = double.PositiveInfinity;

    /// <summary>How many received command lines <see cref="EmulatedODrive.RecentCommands"/> keeps.</summary>
    public int CommandHistory { get; init; } = 256;

    internal void Validate()
    {
        if (Axis is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(Axis), Axis, "must be 0 or 1");
        if (GearRatio is { } gear && !(double.IsFinite(gear) && gear > 0))
            throw new ArgumentOutOfRangeException(nameof(GearRatio), gear, "must be finite and > 0");
        if (EncoderZero is { } zero && !double.IsFinite(zero)) throw new ArgumentOutOfRangeException(nameof(EncoderZero), zero, "must be finite");
        if (!(double.IsFinite(BusVoltage) && BusVoltage >= 0)) throw new ArgumentOutOfRangeException(nameof(BusVoltage), BusVoltage, "must be finite and >= 0");
        if (!(double.IsFinite(VelocityLoopBandwidth) && VelocityLoopBandwidth > 0))
            throw new ArgumentOutOfRangeException(nameof(VelocityLoopBandwidth), VelocityLoopBandwidth, "must be finite and > 0");
        if (!(TorqueLimit > 0)) throw new ArgumentOutOfRangeException(nameof(TorqueLimit), TorqueLimit, "must be > 0");
        if (CommandHistory < 0) throw new ArgumentOutOfRangeException(nameof(CommandHistory), CommandHistory, "must be >= 0");
    }
}

/// <summary>What the emulated encoder reports in <c>f</c> answers.</summary>
public enum ODriveFeedbackFault
{
    /// <summary>The plant's state.</summary>
    None,

    /// <summary>"nan nan", as the firmware prints an estimate that has diverged.</summary>
    NaN,

    /// <summary>The last values reported before the fault, repeated (a stuck encoder or hung estimator).</summary>
    Frozen,
}

/// <summary>How many commands of each kind the emulated ODrive received, and what it did to its answers.</summary>
/// <param name="Torque"><c>c</c> commands executed.</param>
/// <param name="Velocity"><c>v</c> commands executed.</param>
/// <param name="Feedback"><c>f</c> requests answered (or due an answer that a fault dropped).</param>
/// <param name="PropertyReads"><c>r</c> commands.</param>
/// <param name="PropertyWrites"><c>w</c> commands.</param>
/// <param name="IdleRequests">Writes of 1 (idle) to the wired axis's requested_state.</param>
/// <param name="ClosedLoopRequests">Writes of 8 (closed loop) to the wired axis's requested_state.</param>
/// <param name="Unknown">Lines answered "unknown command", "invalid …" or "not implemented".</param>
/// <param name="ChecksumRejected">Lines ignored because their checksum did not match (the firmware answers nothing).</param>
/// <param name="Replies">Answer lines written as the firmware would (counted once written, after any delay).</param>
/// <param name="RepliesDropped">Answers not sent (fault).</param>
/// <param name="RepliesGarbled">Answers replaced by garbage bytes (fault).</param>
/// <param name="RepliesDelayed">Answers sent late (fault).</param>
/// <param name="ChecksumsCorrupted">Answers sent with a wrong checksum (fault).</param>
public readonly record struct EmulatedODriveCounts(
    long Torque, long Velocity, long Feedback, long PropertyReads, long PropertyWrites, long IdleRequests,
    long ClosedLoopRequests, long Unknown, long ChecksumRejected, long Replies, long RepliesDropped, long RepliesGarbled,
    long RepliesDelayed, long ChecksumsCorrupted);
