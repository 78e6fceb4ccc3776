using System.Globalization;
using System.Text;
using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.ODrive;

/// <summary>
/// An ODrive motor controller on a pseudo-terminal, answering the ASCII protocol the way the firmware does and driving a
/// <see cref="MotorPendulumPlant"/>: the real serial driver opens <see cref="SlavePath"/> with
/// <see cref="System.IO.Ports.SerialPort"/> and cannot tell it from a USB-connected ODrive. A thread reads command lines
/// from the master side, executes them and writes the answers; faults can be switched on at any time from a test.
/// </summary>
/// <remarks>
/// <para>Protocol (as the firmware's ASCII protocol): lines end at '\r', '\n' or '!'; ';' starts a comment; an optional
/// <c>*checksum</c> (XOR of the bytes before '*', decimal) is checked and a line whose checksum does not match is ignored
/// without an answer; answers to a command that carried a checksum carry one too (<c>text*checksum\r\n</c>).
/// Supported: <c>c axis torque</c>, <c>v axis vel [torque_ff]</c> (no answer, as on the ODrive; each also switches the
/// control mode like firmware 0.5), <c>f axis</c> ("pos vel" in motor turns and turns/s, six decimals), <c>r</c>/<c>w</c>
/// of <c>vbus_voltage</c>, <c>axisN.error</c>, <c>axisN.current_state</c>, <c>axisN.requested_state</c>,
/// <c>axisN.controller.config.control_mode</c>, <c>axisN.controller.input_torque</c>, <c>axisN.controller.input_vel</c>,
/// <c>axisN.encoder.pos_estimate</c>, <c>axisN.encoder.vel_estimate</c>. Anything else answers "unknown command" or
/// "invalid property".</para>
/// <para>Physics: feedback is (θ − θ₀)·N/2π turns, N the gear ratio and θ₀ the encoder zero (by default the plant's
/// angle when the emulator starts: an incremental encoder counts from power-on). Requesting closed loop
/// (8) succeeds at once unless an axis error is set; idle (1) and every other state leave the motor unpowered (torque 0).
/// Torque mode applies <c>input_torque · N</c> to the output shaft. Velocity mode runs a PI loop on the output shaft
/// (P = J·bandwidth, I = P·bandwidth/4) that is updated on every command and about every millisecond of real time while
/// idle, holding its torque in between. That sample-and-hold loop runs ~8× slower than the ODrive's 8 kHz loop, so the
/// ODrive's default gains (tuned for 8 kHz) would be unstable here; the emulated loop therefore has its own, slower
/// gains (30 rad/s bandwidth by default: a ~30 ms time constant where the ODrive has a few ms). With a
/// <see cref="Core.Timing.FakeClock"/> the loop advances only when the test advances time.</para>
/// <para>Faults (thread-safe, effective from the next answer): <see cref="DelayReplies"/>, <see cref="GarbleReplies"/>,
/// <see cref="CorruptReplyChecksums"/>, <see cref="DropReplies"/>, <see cref="FeedbackFault"/>, <see cref="SetAxisError"/>,
/// <see cref="Disconnect"/> / <see cref="Reconnect"/>. A disconnect closes the master (the slave's reader fails as when a
/// USB cable is pulled) and drops the axis to idle (as the ODrive's watchdog does when commands stop; the encoder keeps
/// its count); a reconnect opens a new pseudo-terminal with a new
/// <see cref="SlavePath"/>, as a replugged adapter may get a new /dev/ttyACMn: a bus provider that resolves the port name
/// to <see cref="SlavePath"/> at every open lets a driver find it again.</para>
/// </remarks>
public sealed class EmulatedODrive : IDisposable
{
    private const int PollMilliseconds = 1;
    private const int AxisCount = 2;
    private const int StateIdle = 1;
    private const int StateClosedLoop = 8;
    private const int ModeTorque = 1;
    private const int ModeVelocity = 2;

    // Non-ASCII and control bytes with a line end: an answer no parser can take for text.
    private static readonly byte[] Garbage = [0xFF, 0x13, 0x80, (byte)'?', 0xA5, 0x00, (byte)'#', 0xFE, (byte)'\r', (byte)'\n'];

    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedODriveOptions _options;
    private readonly double _gearRatio;
    private readonly double _encoderZero;
    private readonly double _velocityGain;
    private readonly double _velocityIntegratorGain;
    private readonly Thread _thread;
    private readonly object _ptyGate = new();
    private readonly object _stateGate = new();
    private readonly AxisRegisters[] _axes = [new(), new()];
    private readonly Queue<string> _recent = new();
    private readonly ManualResetEventSlim _stopped = new(false);
    private volatile bool _stopping;
    private PseudoTerminal? _pty;
    private string _slavePath;

    // Line assembly (emulator thread only).
    private readonly byte[] _line = new byte[256];
    private int _lineLength;
    private bool _lineActive = true;

    // Under _stateGate.
    private EmulatedODriveCounts _counts;
    private int _delayCount;
    private TimeSpan _delay;
    private int _garbleCount;
    private int _corruptCount;
    private int _dropCount;
    private ODriveFeedbackFault _feedbackFault;
    private double _lastPositionTurns;
    private double _lastVelocityTurns;
    private double _appliedTorque;
    private bool _velocityLoopActive;
    private double _velocityIntegral;
    private double _velocityLoopTime;
    private Exception? _lastError;

    /// <summary>Opens the pseudo-terminal and starts answering.</summary>
    public EmulatedODrive(MotorPendulumPlant plant, EmulatedODriveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plant);
        options ??= new EmulatedODriveOptions();
        options.Validate();
        _plant = plant;
        _options = options;
        _gearRatio = options.GearRatio ?? plant.Parameters.GearRatio;
        _encoderZero = options.EncoderZero ?? plant.Sample().Theta;
        _velocityGain = plant.Parameters.TotalInertia * options.VelocityLoopBandwidth;
        _velocityIntegratorGain = _velocityGain * options.VelocityLoopBandwidth / 4;
        _pty = PseudoTerminal.Open();
        _slavePath = _pty.SlavePath;
        _plant.SetTorque(0);
        _thread = new Thread(Run) { IsBackground = true, Name = $"emulated ODrive {_slavePath}" };
        _thread.Start();
    }

    /// <summary>The tty the driver opens (/dev/pts/N); after <see cref="Disconnect"/> the old, no longer existing path.</summary>
    public string SlavePath
    {
        get { lock (_ptyGate) return _slavePath; }
    }

    /// <summary>False between <see cref="Disconnect"/> and <see cref="Reconnect"/>.</summary>
    public bool IsConnected
    {
        get { lock (_ptyGate) return _pty is not null; }
    }

    public MotorPendulumPlant Plant => _plant;

    /// <summary>Motor turns per output turn used to convert between the plant and the protocol.</summary>
    public double GearRatio => _gearRatio;

    /// <summary>The output-shaft angle (rad) where the emulated encoder reads 0.</summary>
    public double EncoderZero => _encoderZero;

    /// <summary>Counts of commands and answer faults since construction.</summary>
    public EmulatedODriveCounts Counts
    {
        get { lock (_stateGate) return _counts; }
    }

    /// <summary>current_state of the wired axis (1 idle, 8 closed loop).</summary>
    public int AxisState
    {
        get { lock (_stateGate) return _axes[_options.Axis].CurrentState; }
    }

    /// <summary>controller.config.control_mode of the wired axis (1 torque, 2 velocity).</summary>
    public int ControlMode
    {
        get { lock (_stateGate) return _axes[_options.Axis].ControlMode; }
    }

    /// <summary>The wired axis's torque setpoint in N·m at the motor (last <c>c</c> or torque feed-forward).</summary>
    public double InputTorque
    {
        get { lock (_stateGate) return _axes[_options.Axis].InputTorque; }
    }

    /// <summary>The wired axis's velocity setpoint in motor turns/s (last <c>v</c>).</summary>
    public double InputVelocity
    {
        get { lock (_stateGate) return _axes[_options.Axis].InputVelocity; }
    }

    /// <summary>The output-shaft torque currently applied to the plant, N·m.</summary>
    public double AppliedTorque
    {
        get { lock (_stateGate) return _appliedTorque; }
    }

    /// <summary>The last received command lines, oldest first, without checksum or line end.</summary>
    public IReadOnlyList<string> RecentCommands
    {
        get { lock (_stateGate) return [.. _recent]; }
    }

    /// <summary>An unexpected exception the emulator thread survived (null if none): tests assert it stays null.</summary>
    public Exception? LastError
    {
        get { lock (_stateGate) return _lastError; }
    }

    /// <summary>What the encoder reports; switched on and off at any time.</summary>
    public ODriveFeedbackFault FeedbackFault
    {
        get { lock (_stateGate) return _feedbackFault; }
        set { lock (_stateGate) _feedbackFault = value; }
    }

    /// <summary>The next <paramref name="count"/> answers are written <paramref name="delay"/> late (the emulator stalls meanwhile, as a busy device does).</summary>
    public void DelayReplies(int count, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        lock (_stateGate) (_delayCount, _delay) = (count, delay);
    }

    /// <summary>The next <paramref name="count"/> answers are replaced by a line of non-ASCII and control bytes.</summary>
    public void GarbleReplies(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_stateGate) _garbleCount = count;
    }

    /// <summary>The next <paramref name="count"/> answers that carry a checksum carry a wrong one (checksum + 1).</summary>
    public void CorruptReplyChecksums(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_stateGate) _corruptCount = count;
    }

    /// <summary>The next <paramref name="count"/> answers are not sent at all (the driver's exchange times out).</summary>
    public void DropReplies(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_stateGate) _dropCount = count;
    }

    /// <summary>
    /// Sets the wired axis's error register. Non-zero: the axis drops to idle and refuses closed loop (as after an
    /// over-current or encoder fault) until the error is written back to 0.
    /// </summary>
    public void SetAxisError(uint error)
    {
        lock (_stateGate)
        {
            var axis = _axes[_options.Axis];
            axis.Error = error;
            if (error != 0) axis.CurrentState = StateIdle;
        }
        UpdateDrive();
    }

    /// <summary>Ends every fault (a disconnected link stays disconnected until <see cref="Reconnect"/>).</summary>
    public void ClearFaults()
    {
        lock (_stateGate)
        {
            _delayCount = _garbleCount = _corruptCount = _dropCount = 0;
            _feedbackFault = ODriveFeedbackFault.None;
        }
    }

    /// <summary>
    /// Pulls the cable: closes the master, so the driver's port fails, and drops the axis to idle (as the ODrive's
    /// watchdog does when commands stop arriving).
    /// </summary>
    public void Disconnect()
    {
        lock (_ptyGate)
        {
            _pty?.Dispose();
            _pty = null;
        }
        lock (_stateGate)
        {
            foreach (var axis in _axes) axis.CurrentState = StateIdle;
        }
        UpdateDrive();
    }

    /// <summary>Plugs the cable back in: a new pseudo-terminal, at a new <see cref="SlavePath"/>.</summary>
    public void Reconnect()
    {
        lock (_ptyGate)
        {
            if (_pty is not null) return;
            ObjectDisposedException.ThrowIf(_stopping, this);
            _pty = PseudoTerminal.Open();
            _slavePath = _pty.SlavePath;
        }
    }

    /// <summary>Stops the thread (waits up to 2 s) and closes the pseudo-terminal.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _stopped.Set(); // ends a reply delay in progress
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(2));
        lock (_ptyGate)
        {
            _pty?.Dispose();
            _pty = null;
        }
    }

    // ---- emulator thread ------------------------------------------------------------------------------------

    private void Run()
    {
        var buffer = new byte[512];
        PseudoTerminal? current = null;
        while (!_stopping)
        {
            try
            {
                PseudoTerminal? pty;
                var received = 0;
                lock (_ptyGate)
                {
                    pty = _pty;
                    if (pty is not null && pty.WaitReadable(PollMilliseconds)) received = pty.Read(buffer);
                }
                if (pty is null)
                {
                    Thread.Sleep(PollMilliseconds);
                }
                else if (!ReferenceEquals(pty, current))
                {
                    // A new link: a line half-received on the old one is lost with it.
                    current = pty;
                    _lineLength = 0;
                    _lineActive = true;
                }
                for (var i = 0; i < received; i++) Accept(pty!, buffer[i]);
                UpdateDrive();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                lock (_stateGate) _lastError = e;
                Thread.Sleep(PollMilliseconds);
            }
        }
    }

    private void Accept(PseudoTerminal pty, byte b)
    {
        if (b is (byte)'\r' or (byte)'\n' or (byte)'!')
        {
            if (_lineActive && _lineLength > 0) Execute(pty, _line.AsSpan(0, _lineLength));
            _lineLength = 0;
            _lineActive = true;
            return;
        }
        if (_lineLength == _line.Length)
        {
            // Too long for the firmware's buffer: drop everything up to the next line end.
            _lineActive = false;
            _lineLength = 0;
        }
        if (_lineActive) _line[_lineLength++] = b;
    }

    private void Execute(PseudoTerminal pty, ReadOnlySpan<byte> raw)
    {
        var comment = raw.IndexOf((byte)';');
        if (comment >= 0) raw = raw[..comment];
        var star = raw.IndexOf((byte)'*');
        var useChecksum = star >= 0;
        if (useChecksum)
        {
            byte computed = 0;
            foreach (var b in raw[..star]) computed ^= b;
            if (!TryParseChecksum(raw[(star + 1)..], out var received) || received != computed)
            {
                lock (_stateGate) _counts = _counts with { ChecksumRejected = _counts.ChecksumRejected + 1 };
                return;
            }
            raw = raw[..star];
        }
        var text = Encoding.ASCII.GetString(raw).TrimEnd();
        if (text.Length == 0) return;
        string? answer;
        lock (_stateGate)
        {
            if (_options.CommandHistory > 0)
            {
                if (_recent.Count == _options.CommandHistory) _recent.Dequeue();
                _recent.Enqueue(text);
            }
            answer = Interpret(text);
        }
        UpdateDrive();
        if (answer is not null) Reply(pty, answer, useChecksum);
    }

    /// <summary>Executes one command (under the state lock); returns the answer line or null for none.</summary>
    private string? Interpret(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (text[0])
        {
            case 'c':
            {
                if (!TryAxisAndNumber(parts, out var axis, out var torque, out var invalid)) return Invalid(invalid);
                _counts = _counts with { Torque = _counts.Torque + 1 };
                var a = _axes[axis];
                a.ControlMode = ModeTorque;
                a.InputTorque = torque;
                return null;
            }
            case 'v':
            {
                if (!TryAxisAndNumber(parts, out var axis, out var velocity, out var invalid)) return Invalid(invalid);
                double feedForward = 0;
                if (parts.Length >= 4 && !TryNumber(parts[3], out feedForward)) return Invalid("invalid command format");
                _counts = _counts with { Velocity = _counts.Velocity + 1 };
                var a = _axes[axis];
                a.ControlMode = ModeVelocity;
                a.InputVelocity = velocity;
                if (parts.Length >= 4) a.InputTorque = feedForward;
                return null;
            }
            case 'f':
            {
                if (parts.Length < 2 || parts[0] != "f" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var axis))
                    return Invalid("invalid command format");
                if (axis >= AxisCount) return Invalid($"invalid motor {axis}");
                _counts = _counts with { Feedback = _counts.Feedback + 1 };
                var (position, velocity) = Feedback(axis);
                return $"{Format(position)} {Format(velocity)}";
            }
            case 'r':
            {
                _counts = _counts with { PropertyReads = _counts.PropertyReads + 1 };
                if (parts.Length < 2 || parts[0] != "r") return Invalid("invalid command format");
                return ReadProperty(parts[1]) ?? Invalid("invalid property");
            }
            case 'w':
            {
                _counts = _counts with { PropertyWrites = _counts.PropertyWrites + 1 };
                if (parts.Length < 2 || parts[0] != "w") return Invalid("invalid command format");
                return WriteProperty(parts[1], parts.Length >= 3 ? parts[2] : "");
            }
            default:
                return Invalid("unknown command");
        }
    }

    private string Invalid(string answer)
    {
        _counts = _counts with { Unknown = _counts.Unknown + 1 };
        return answer;
    }

    private static bool TryAxisAndNumber(string[] parts, out int axis, out double value, out string invalid)
    {
        value = 0;
        invalid = "invalid command format";
        if (parts.Length < 3 || parts[0].Length != 1
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out axis)
            || !TryNumber(parts[2], out value))
        {
            axis = 0;
            return false;
        }
        if (axis >= AxisCount)
        {
            invalid = $"invalid motor {axis}";
            return false;
        }
        return true;
    }

    private (double Position, double Velocity) Feedback(int axis)
    {
        if (axis != _options.Axis) return (0, 0);
        switch (_feedbackFault)
        {
            case ODriveFeedbackFault.NaN:
                return (double.NaN, double.NaN);
            case ODriveFeedbackFault.Frozen:
                return (_lastPositionTurns, _lastVelocityTurns);
            default:
                var sample = _plant.Sample();
                var toTurns = _gearRatio / (2 * Math.PI);
                _lastPositionTurns = (sample.Theta - _encoderZero) * toTurns;
                _lastVelocityTurns = sample.Omega * toTurns;
                return (_lastPositionTurns, _lastVelocityTurns);
        }
    }

    private string? ReadProperty(string name)
    {
        if (name == "vbus_voltage") return Format(_options.BusVoltage);
        if (!TrySplitAxis(name, out var axisIndex, out var member)) return null;
        var axis = _axes[axisIndex];
        return member switch
        {
            "error" => axis.Error.ToString(CultureInfo.InvariantCulture),
            "current_state" => axis.CurrentState.ToString(CultureInfo.InvariantCulture),
            "requested_state" => axis.RequestedState.ToString(CultureInfo.InvariantCulture),
            "controller.config.control_mode" => axis.ControlMode.ToString(CultureInfo.InvariantCulture),
            "controller.input_torque" => Format(axis.InputTorque),
            "controller.input_vel" => Format(axis.InputVelocity),
            "encoder.pos_estimate" => Format(Feedback(axisIndex).Position),
            "encoder.vel_estimate" => Format(Feedback(axisIndex).Velocity),
            _ => null,
        };
    }

    private string? WriteProperty(string name, string value)
    {
        if (!TrySplitAxis(name, out var axisIndex, out var member))
            return name == "vbus_voltage" ? Invalid("not implemented") : Invalid("invalid property");
        var axis = _axes[axisIndex];
        switch (member)
        {
            case "error":
                if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var error)) return Invalid("not implemented");
                axis.Error = error;
                return null;
            case "requested_state":
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var state)) return Invalid("not implemented");
                axis.RequestedState = state;
                if (axisIndex == _options.Axis && state == StateIdle) _counts = _counts with { IdleRequests = _counts.IdleRequests + 1 };
                if (axisIndex == _options.Axis && state == StateClosedLoop)
                    _counts = _counts with { ClosedLoopRequests = _counts.ClosedLoopRequests + 1 };
                // Closed loop needs a healthy axis; every other request ends (at once, here) in idle.
                axis.CurrentState = state == StateClosedLoop && axis.Error == 0 ? StateClosedLoop : StateIdle;
                return null;
            case "controller.config.control_mode":
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mode) || mode > 3) return Invalid("not implemented");
                axis.ControlMode = mode;
                return null;
            case "controller.input_torque":
                if (!TryNumber(value, out var torque)) return Invalid("not implemented");
                axis.InputTorque = torque;
                return null;
            case "controller.input_vel":
                if (!TryNumber(value, out var velocity)) return Invalid("not implemented");
                axis.InputVelocity = velocity;
                return null;
            case "current_state" or "encoder.pos_estimate" or "encoder.vel_estimate":
                return Invalid("not implemented"); // read-only
            default:
                return Invalid("invalid property");
        }
    }

    private static bool TrySplitAxis(string name, out int axis, out string member)
    {
        axis = 0;
        member = "";
        if (name.Length < 7 || !name.StartsWith("axis", StringComparison.Ordinal) || name[5] != '.') return false;
        axis = name[4] - '0';
        if (axis is < 0 or >= AxisCount) return false;
        member = name[6..];
        return true;
    }

    /// <summary>Sets the plant's torque from the wired axis's state, mode and setpoints (runs the velocity loop).</summary>
    private void UpdateDrive()
    {
        lock (_stateGate)
        {
            var axis = _axes[_options.Axis];
            var limit = _options.TorqueLimit;
            double torque;
            if (axis.CurrentState != StateClosedLoop || axis.ControlMode is not (ModeTorque or ModeVelocity))
            {
                _velocityLoopActive = false;
                torque = 0;
            }
            else if (axis.ControlMode == ModeTorque)
            {
                _velocityLoopActive = false;
                torque = Math.Clamp(axis.InputTorque * _gearRatio, -limit, limit);
            }
            else
            {
                var sample = _plant.Sample();
                if (!_velocityLoopActive)
                {
                    _velocityLoopActive = true;
                    _velocityIntegral = 0;
                    _velocityLoopTime = sample.TimeSeconds;
                }
                var dt = sample.TimeSeconds - _velocityLoopTime;
                _velocityLoopTime = sample.TimeSeconds;
                var error = axis.InputVelocity * 2 * Math.PI / _gearRatio - sample.Omega;
                _velocityIntegral = Math.Clamp(_velocityIntegral + _velocityIntegratorGain * error * dt, -limit, limit);
                torque = Math.Clamp(_velocityGain * error + _velocityIntegral + axis.InputTorque * _gearRatio, -limit, limit);
            }
            if (torque != _appliedTorque || _velocityLoopActive)
            {
                _appliedTorque = torque;
                _plant.SetTorque(torque);
            }
        }
    }

    private void Reply(PseudoTerminal pty, string text, bool withChecksum)
    {
        TimeSpan delay;
        bool drop, garble, corrupt;
        lock (_stateGate)
        {
            drop = Take(ref _dropCount);
            delay = !drop && _delayCount > 0 ? _delay : TimeSpan.Zero;
            if (delay > TimeSpan.Zero) _delayCount--;
            garble = !drop && Take(ref _garbleCount);
            corrupt = !drop && !garble && withChecksum && Take(ref _corruptCount);
            _counts = _counts with
            {
                RepliesDropped = _counts.RepliesDropped + (drop ? 1 : 0),
                RepliesGarbled = _counts.RepliesGarbled + (garble ? 1 : 0),
                RepliesDelayed = _counts.RepliesDelayed + (delay > TimeSpan.Zero ? 1 : 0),
                ChecksumsCorrupted = _counts.ChecksumsCorrupted + (corrupt ? 1 : 0),
            };
        }
        if (drop) return;
        if (delay > TimeSpan.Zero && _stopped.Wait(delay)) return;
        byte[] bytes;
        if (garble)
        {
            bytes = Garbage;
        }
        else
        {
            var line = new StringBuilder(text);
            if (withChecksum)
            {
                byte checksum = 0;
                foreach (var c in text) checksum ^= (byte)c;
                if (corrupt) checksum++;
                line.Append('*').Append(checksum.ToString(CultureInfo.InvariantCulture));
            }
            line.Append("\r\n");
            bytes = Encoding.ASCII.GetBytes(line.ToString());
        }
        lock (_ptyGate)
        {
            // An answer to a command from a link that has since been pulled goes nowhere.
            if (!ReferenceEquals(_pty, pty)) return;
            pty.Write(bytes);
        }
        if (!garble)
        {
            lock (_stateGate) _counts = _counts with { Replies = _counts.Replies + 1 };
        }
    }

    private static bool Take(ref int count)
    {
        if (count <= 0) return false;
        count--;
        return true;
    }

    private static bool TryParseChecksum(ReadOnlySpan<byte> text, out int value)
    {
        // As sscanf("%u"): leading spaces, then digits; anything after the digits is ignored.
        value = 0;
        text = text.TrimStart((byte)' ');
        var digits = 0;
        while (digits < text.Length && text[digits] is >= (byte)'0' and <= (byte)'9' && digits < 6)
        {
            value = value * 10 + (text[digits] - '0');
            digits++;
        }
        return digits > 0;
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    // The firmware prints floats with %f: six decimals, "nan" for NaN.
    private static string Format(double value) =>
        double.IsNaN(value) ? "nan" : value.ToString("F6", CultureInfo.InvariantCulture);

    private sealed class AxisRegisters
    {
        public int CurrentState = StateIdle;
        public int RequestedState;
        public int ControlMode = ModeTorque;
        public uint Error;
        public double InputTorque;
        public double InputVelocity;
    }
}
