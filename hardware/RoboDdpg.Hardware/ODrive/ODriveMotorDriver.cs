using System.Diagnostics;
using System.IO.Ports;
using System.Text;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Devices;
using static RoboDdpg.Hardware.ODrive.ODriveAsciiProtocol;

namespace RoboDdpg.Hardware.ODrive;

/// <summary>Counters of one ODrive link since construction, for run reports.</summary>
/// <param name="Exchanges">Command/answer round trips completed.</param>
/// <param name="Timeouts">Exchanges that got no (complete) answer in time.</param>
/// <param name="ProtocolErrors">Answers refused: bad checksum, garbage, NaN or frozen feedback.</param>
/// <param name="PortLosses">Times the serial port failed (unplugged, hung up).</param>
/// <param name="Reconnects">Times the port was opened again after a loss.</param>
public readonly record struct ODriveLinkStatistics(long Exchanges, long Timeouts, long ProtocolErrors, long PortLosses, long Reconnects);

/// <summary>
/// One ODrive axis over a serial port (USB CDC /dev/ttyACM0 or a UART) speaking the ASCII protocol
/// (<see cref="ODriveAsciiProtocol"/>). Inputs: <c>position</c> (rad) and <c>velocity</c> (rad/s) of the output shaft,
/// from the <c>f</c> feedback of the motor through the gear ratio. Output: <c>torque</c> (N·m at the output shaft,
/// sent as <c>c</c> with torque / gear ratio) or <c>velocity</c> (rad/s at the output shaft, sent as <c>v</c> in motor
/// turns/s), as the <c>mode</c> setting says.
/// </summary>
/// <remarks>
/// <para><see cref="Open"/> opens the port, probes it (<c>r vbus_voltage</c> must answer a number), refuses an axis
/// that reports an error, commands zero, sets the control mode and enters closed-loop control. <see cref="Stop"/> commands
/// zero and requests idle, then reads the axis state back to confirm. A <see cref="Write"/> after <see cref="Stop"/> or
/// after a reconnection enters closed loop again first.</para>
/// <para>Errors: no complete answer within <c>timeout_ms</c> → <see cref="TimeoutException"/>; a bad checksum, an
/// unparseable answer, non-finite or frozen feedback → <see cref="DeviceProtocolException"/> (both transient; the input
/// buffer is discarded so the next exchange starts clean); a port that fails (unplugged, hung up) →
/// <see cref="IOException"/>, and the next call tries to open it again (the bus provider resolves the port name anew).
/// An axis that reports an error or refuses closed loop → <see cref="DeviceException"/> (permanent).</para>
/// <para><c>c</c>, <c>v</c> and <c>w</c> get no answer in this protocol, so a command lost on the wire goes unnoticed;
/// the feedback exchange every tick is what proves the link alive. An answer that arrives after its exchange timed out is
/// discarded before the next command is sent, unless it arrives only after that: then it is taken as the next answer
/// (feedback that is one timeout old). Allocation per tick: none in this class (commands are formatted and answers parsed
/// in preallocated byte buffers); <see cref="SerialPort"/> itself allocates a cancellation source and a request per read
/// and per write on Unix (a few hundred bytes per exchange).</para>
/// <para>Not for concurrent use except <see cref="Stop"/>, which may be called from another thread: calls are serialized
/// by a lock, so it waits at most for the exchange in progress.</para>
/// </remarks>
public sealed class ODriveMotorDriver : IRobotDevice
{
    // Open: the first answers after opening a port may be lost in a USB adapter's start-up.
    private const int ProbeAttempts = 3;

    // Entering closed loop takes the ODrive a few ms when calibrated; allow generously before calling it refused.
    private const double ArmTimeoutMilliseconds = 500;

    // Frozen feedback: the position repeats exactly over this many answers while the velocity says it should have
    // moved by FrozenTravelTurns (10 000 steps of the %f resolution): a stuck encoder or a hung firmware task.
    private const int FrozenAnswers = 3;
    private const double FrozenTravelTurns = 0.01;

    private static readonly double TicksToSeconds = 1.0 / Stopwatch.Frequency;

    private readonly object _gate = new();
    private readonly IBusProvider _buses;
    private readonly byte[] _tx = new byte[MaxLineLength + 8];
    private readonly byte[] _rx = new byte[512];
    private readonly double _turnsToRadians;
    private readonly string _requestedState;
    private readonly string _currentState;
    private readonly string _axisError;
    private readonly string _controlMode;

    private SerialPort? _port;
    private string _portPath;
    private bool _opened;
    private bool _sessionReady; // probed and control mode set on the current port
    private bool _armed;        // closed loop requested and confirmed on the current port
    private bool _disposed;

    private double _lastPosition = double.NaN;
    private int _samePositionCount;
    private long _samePositionSince;
    private double _samePositionMinSpeed;

    private long _exchanges;
    private long _timeouts;
    private long _protocolErrors;
    private long _portLosses;
    private long _reconnects;

    /// <param name="name">The description's device name (used in every error message).</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="buses">Resolves the port name to the path <see cref="SerialPort"/> opens, on open and on every reconnect.</param>
    public ODriveMotorDriver(string name, ODriveSettings settings, IBusProvider buses)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(buses);
        settings.Validate();
        Name = name;
        Settings = settings;
        _buses = buses;
        _portPath = settings.Port;
        _turnsToRadians = 2 * Math.PI / settings.GearRatio;
        var axis = $"axis{settings.Axis}";
        _requestedState = axis + ".requested_state";
        _currentState = axis + ".current_state";
        _axisError = axis + ".error";
        _controlMode = axis + ".controller.config.control_mode";
        Outputs = [settings.OutputChannel];
    }

    public string Name { get; }

    public ODriveSettings Settings { get; }

    public IReadOnlyList<string> Inputs { get; } = ["position", "velocity"];

    public IReadOnlyList<string> Outputs { get; }

    /// <summary>True: a serial round trip (and a retry) can take longer than a control tick.</summary>
    public bool MayBlock => true;

    /// <summary>The DC bus voltage the ODrive reported when probed, in V (NaN before <see cref="Open"/>).</summary>
    public double BusVoltage { get; private set; } = double.NaN;

    /// <summary>Why the last <see cref="Stop"/> could not confirm the idle state (null after a confirmed stop).</summary>
    public string? LastStopProblem { get; private set; }

    public ODriveLinkStatistics Statistics
    {
        get
        {
            lock (_gate) return new(_exchanges, _timeouts, _protocolErrors, _portLosses, _reconnects);
        }
    }

    /// <summary>Builds the driver for a description entry (the catalog's <c>odrive</c> type); nothing is opened yet.</summary>
    public static ODriveMotorDriver Create(Description.DeviceDescription description, IBusProvider buses)
    {
        ArgumentNullException.ThrowIfNull(description);
        ODriveSettings settings;
        try
        {
            settings = ODriveSettings.From(description.Settings);
        }
        catch (ArgumentException e)
        {
            throw new DeviceException(description.Name, e.Message, e);
        }
        return new ODriveMotorDriver(description.Name, settings, buses);
    }

    public void Open()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_opened) return;
            try
            {
                _portPath = _buses.ResolveSerialPort(Settings.Port);
            }
            catch (BusUnavailableException e)
            {
                throw new DeviceException(Name, e.Message, e);
            }
            try
            {
                _port = OpenPort(_portPath);
            }
            catch (Exception e) when (IsPortFailure(e) || e is ArgumentException)
            {
                throw new DeviceException(Name, $"cannot open serial port {_portPath}: {e.Message}", e);
            }
            try
            {
                Initialize(_port);
                Arm();
            }
            catch (TimeoutException e)
            {
                ClosePort();
                throw new DeviceException(Name,
                    $"no answer from ODrive on {_portPath} within {Settings.TimeoutMilliseconds:0.###} ms: is it powered, and are 'baud' and 'checksum' right?", e);
            }
            catch (IOException e)
            {
                ClosePort();
                throw new DeviceException(Name, $"ODrive on {_portPath} did not answer as expected: {WithoutDeviceName(e.Message)}", e);
            }
            catch
            {
                ClosePort();
                throw;
            }
            _opened = true;
        }
    }

    public void Read(Span<double> readings)
    {
        if (readings.Length < 2)
            throw new ArgumentException($"readings has {readings.Length} entries, {Name} has 2 inputs", nameof(readings));
        lock (_gate)
        {
            var port = EnsureOpen();
            var length = FormatFeedbackRequest(_tx, Settings.Axis, Settings.Checksum);
            var answer = Exchange(port, length);
            if (!TryParseFeedback(answer, out var position, out var velocity))
                throw ProtocolError(port, "feedback answer is not '<pos> <vel>'", answer);
            if (!double.IsFinite(position) || !double.IsFinite(velocity))
                throw ProtocolError(port, "feedback is not finite", answer);
            CheckNotFrozen(port, position, velocity, answer);
            readings[0] = position * _turnsToRadians;
            readings[1] = velocity * _turnsToRadians;
        }
    }

    public void Write(ReadOnlySpan<double> commands)
    {
        if (commands.Length < 1)
            throw new ArgumentException($"commands is empty, {Name} has 1 output", nameof(commands));
        var command = commands[0];
        if (!double.IsFinite(command))
            throw new ArgumentOutOfRangeException(nameof(commands), command, $"{Name}: {Settings.OutputChannel} command must be finite");
        lock (_gate)
        {
            var port = EnsureOpen();
            if (!_armed) Arm();
            var length = Settings.Mode == ODriveCommandMode.Torque
                ? FormatTorque(_tx, Settings.Axis, command / Settings.GearRatio, Settings.Checksum)
                : FormatVelocity(_tx, Settings.Axis, command / _turnsToRadians, null, Settings.Checksum);
            Send(port, length);
        }
    }

    public bool Stop()
    {
        lock (_gate)
        {
            if (_disposed || !_opened)
            {
                LastStopProblem = _disposed ? "disposed" : "not open";
                return false;
            }
            try
            {
                var port = EnsurePort();
                _armed = false;
                Send(port, FormatRest());
                Send(port, FormatWrite(_tx, _requestedState, AxisStateIdle, Settings.Checksum));
                var state = ReadInteger(port, _currentState);
                LastStopProblem = state == AxisStateIdle ? null : $"{_currentState} is {state} after requesting idle";
                return LastStopProblem is null;
            }
            catch (Exception e) when (e is IOException or TimeoutException or DeviceException)
            {
                LastStopProblem = e.Message;
                return false;
            }
        }
    }

    /// <summary>Stops the axis if it is in closed loop (best effort), then closes the port.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (_armed && _port is not null) Stop();
            _disposed = true;
            ClosePort();
        }
    }

    // ---- session set-up -------------------------------------------------------------------------------------

    /// <summary>Probe, error check, zero command and control mode: everything but entering closed loop.</summary>
    private void Initialize(SerialPort port)
    {
        _sessionReady = false;
        _armed = false;
        BusVoltage = Probe(port);
        var error = ReadInteger(port, _axisError);
        if (error != 0)
            throw new DeviceException(Name,
                $"ODrive on {_portPath} reports {_axisError} = 0x{error:x} (see the ODrive error reference; clear it with odrivetool before running)");
        Send(port, FormatRest());
        var mode = Settings.Mode == ODriveCommandMode.Torque ? ControlModeTorque : ControlModeVelocity;
        Send(port, FormatWrite(_tx, _controlMode, mode, Settings.Checksum));
        var readBack = ReadInteger(port, _controlMode);
        if (readBack != mode)
            throw new DeviceException(Name, $"ODrive on {_portPath} kept {_controlMode} = {readBack} after writing {mode}");
        _sessionReady = true;
    }

    private double Probe(SerialPort port)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var voltage = ReadNumber(port, "vbus_voltage");
                if (!(voltage >= 0)) throw ProtocolError(port, "vbus_voltage is not a voltage", default);
                return voltage;
            }
            catch (Exception e) when (e is TimeoutException or DeviceProtocolException && attempt < ProbeAttempts)
            {
            }
        }
    }

    /// <summary>Requests closed-loop control and waits until the axis reports it.</summary>
    private void Arm()
    {
        var port = EnsurePort();
        Send(port, FormatWrite(_tx, _requestedState, AxisStateClosedLoop, Settings.Checksum));
        var start = Stopwatch.GetTimestamp();
        long state;
        do
        {
            state = ReadInteger(port, _currentState);
            if (state == AxisStateClosedLoop)
            {
                _armed = true;
                return;
            }
        } while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < ArmTimeoutMilliseconds);
        var error = ReadInteger(port, _axisError);
        throw new DeviceException(Name,
            $"ODrive on {_portPath} did not enter closed-loop control within {ArmTimeoutMilliseconds} ms ({_currentState} = {state}, {_axisError} = 0x{error:x}): calibrate the axis or clear its error");
    }

    private int FormatRest() => Settings.Mode == ODriveCommandMode.Torque
        ? FormatTorque(_tx, Settings.Axis, 0, Settings.Checksum)
        : FormatVelocity(_tx, Settings.Axis, 0, null, Settings.Checksum);

    private long ReadInteger(SerialPort port, string property)
    {
        var value = ReadNumber(port, property);
        if (value != Math.Floor(value) || Math.Abs(value) > 1L << 53)
            throw ProtocolError(port, $"{property} is not an integer", default);
        return (long)value;
    }

    private double ReadNumber(SerialPort port, string property)
    {
        var answer = Exchange(port, FormatRead(_tx, property, Settings.Checksum));
        if (!TryParseNumber(answer, out var value))
            throw ProtocolError(port, $"answer to 'r {property}' is not a number", answer);
        return value;
    }

    // ---- link ----------------------------------------------------------------------------------------------

    private SerialPort EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_opened) throw new InvalidOperationException($"{Name}: Open() has not succeeded");
        return EnsurePort();
    }

    /// <summary>
    /// The open, initialized port; after a loss a new one (the port name is resolved again, the ODrive probed and its
    /// control mode set, since it may have rebooted with the cable). IOException while the port is still gone.
    /// Closed loop is entered again by the next <see cref="Write"/>, not here.
    /// </summary>
    private SerialPort EnsurePort()
    {
        var port = _port;
        if (port is null)
        {
            try
            {
                _portPath = _buses.ResolveSerialPort(Settings.Port);
                port = _port = OpenPort(_portPath);
            }
            catch (Exception e) when (IsPortFailure(e) || e is BusUnavailableException or ArgumentException)
            {
                throw new IOException($"device '{Name}': cannot reopen the serial port: {e.Message}", e);
            }
            _sessionReady = false;
            _reconnects++;
        }
        if (!_sessionReady)
        {
            try
            {
                Initialize(port);
            }
            catch (DeviceException)
            {
                ClosePort();
                throw;
            }
        }
        return port;
    }

    private SerialPort OpenPort(string path)
    {
        var port = new SerialPort(path, Settings.Baud, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            ReadTimeout = Settings.TimeoutWholeMilliseconds,
            WriteTimeout = Settings.TimeoutWholeMilliseconds,
        };
        try
        {
            port.Open();
            port.DiscardInBuffer();
            return port;
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    /// <summary>Sends a command and returns the answer's payload (in <see cref="_rx"/>; valid until the next exchange).</summary>
    private ReadOnlySpan<byte> Exchange(SerialPort port, int length)
    {
        DiscardStale(port);
        Send(port, length);
        var line = ReceiveLine(port, length);
        var status = CheckReply(line, Settings.Checksum, out var payload);
        if (status != ODriveReplyStatus.Ok)
        {
            throw ProtocolError(port, status switch
            {
                ODriveReplyStatus.MissingChecksum => "answer has no checksum",
                ODriveReplyStatus.ChecksumMismatch => "answer's checksum does not match",
                _ => "answer is not protocol text",
            }, line);
        }
        _exchanges++;
        return payload;
    }

    private void DiscardStale(SerialPort port)
    {
        int waiting;
        try
        {
            waiting = port.BytesToRead;
        }
        catch (Exception e) when (IsPortFailure(e))
        {
            throw PortLost(e);
        }
        // FIONREAD fails on a hung-up tty; SerialPort then reports a negative count instead of throwing.
        if (waiting < 0) throw PortLost(null);
        if (waiting > 0) port.DiscardInBuffer();
    }

    private void Send(SerialPort port, int length)
    {
        try
        {
            port.Write(_tx, 0, length);
        }
        catch (TimeoutException e)
        {
            if (SafeBytesToRead(port) < 0) throw PortLost(e);
            _timeouts++;
            throw new TimeoutException($"device '{Name}': could not send '{CommandText(length)}' to {_portPath} within {Settings.TimeoutMilliseconds:0.###} ms", e);
        }
        catch (Exception e) when (IsPortFailure(e))
        {
            throw PortLost(e);
        }
    }

    /// <summary>Reads up to the first '\n' within the timeout; returns the line without its "\r\n".</summary>
    private ReadOnlySpan<byte> ReceiveLine(SerialPort port, int commandLength)
    {
        var start = Stopwatch.GetTimestamp();
        var filled = 0;
        while (true)
        {
            var end = _rx.AsSpan(0, filled).IndexOf((byte)'\n');
            if (end >= 0)
            {
                var line = _rx.AsSpan(0, end);
                return line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
            }
            if (filled == _rx.Length)
                throw ProtocolError(port, $"answer to '{CommandText(commandLength)}' is longer than {_rx.Length} bytes without a line end", default);
            var remaining = Settings.TimeoutMilliseconds - (Stopwatch.GetTimestamp() - start) * TicksToSeconds * 1000;
            if (remaining <= 0) throw NoAnswer(port, commandLength, filled, null);
            try
            {
                port.ReadTimeout = Math.Max(1, (int)Math.Ceiling(remaining));
                filled += port.Read(_rx, filled, _rx.Length - filled);
            }
            catch (TimeoutException e)
            {
                throw NoAnswer(port, commandLength, filled, e);
            }
            catch (Exception e) when (IsPortFailure(e))
            {
                throw PortLost(e);
            }
        }
    }

    private Exception NoAnswer(SerialPort port, int commandLength, int partial, Exception? inner)
    {
        // A dead port also just times out (SerialPort's I/O loop stops on a hang-up): tell the two apart.
        if (SafeBytesToRead(port) < 0) return PortLost(inner);
        _timeouts++;
        SafeDiscard(port);
        var what = partial > 0 ? $"only {partial} bytes of an answer" : "no answer";
        return new TimeoutException(
            $"device '{Name}': {what} from ODrive on {_portPath} within {Settings.TimeoutMilliseconds:0.###} ms to '{CommandText(commandLength)}'", inner);
    }

    private DeviceProtocolException ProtocolError(SerialPort port, string problem, ReadOnlySpan<byte> answer)
    {
        _protocolErrors++;
        SafeDiscard(port); // resynchronize: whatever else is buffered belongs to the broken answer
        var shown = answer.IsEmpty ? "" : $": '{Printable(answer)}'";
        return new DeviceProtocolException(Name, $"{problem} (ODrive on {_portPath}){shown}");
    }

    private IOException PortLost(Exception? cause)
    {
        _portLosses++;
        _armed = false;
        ClosePort();
        var why = cause is null ? "hung up" : cause.Message;
        return new IOException($"device '{Name}': serial port {_portPath} lost ({why}): unplugged or powered off?", cause);
    }

    private void CheckNotFrozen(SerialPort port, double position, double velocity, ReadOnlySpan<byte> answer)
    {
        var now = Stopwatch.GetTimestamp();
        if (position != _lastPosition || velocity == 0)
        {
            _lastPosition = position;
            _samePositionCount = 0;
            _samePositionSince = now;
            _samePositionMinSpeed = double.PositiveInfinity;
            return;
        }
        _samePositionCount++;
        _samePositionMinSpeed = Math.Min(_samePositionMinSpeed, Math.Abs(velocity));
        var seconds = (now - _samePositionSince) * TicksToSeconds;
        if (_samePositionCount >= FrozenAnswers && _samePositionMinSpeed * seconds >= FrozenTravelTurns)
            throw ProtocolError(port,
                $"feedback frozen: position unchanged over {_samePositionCount + 1} answers in {seconds * 1000:0} ms while the velocity reads at least {_samePositionMinSpeed:0.###} turns/s",
                answer);
    }

    private void ClosePort()
    {
        var port = _port;
        _port = null;
        if (port is null) return;
        try
        {
            // After a hang-up SerialPort.Close() would spin forever flushing writes its dead I/O loop never takes;
            // disposing the stream first completes them and makes Close() skip the flush.
            if (port.IsOpen) port.BaseStream.Dispose();
        }
        catch (Exception e) when (IsPortFailure(e))
        {
        }
        try
        {
            port.Dispose();
        }
        catch (Exception e) when (IsPortFailure(e))
        {
        }
    }

    private static int SafeBytesToRead(SerialPort port)
    {
        try
        {
            return port.BytesToRead;
        }
        catch (Exception e) when (IsPortFailure(e))
        {
            return -1;
        }
    }

    private static void SafeDiscard(SerialPort port)
    {
        try
        {
            if (port.IsOpen) port.DiscardInBuffer();
        }
        catch (Exception e) when (IsPortFailure(e))
        {
        }
    }

    /// <summary>What SerialPort throws when the device node fails or vanishes (not timeouts).</summary>
    private static bool IsPortFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidOperationException;

    private string CommandText(int length)
    {
        var text = _tx.AsSpan(0, length).TrimEnd((byte)'\n');
        if (Settings.Checksum)
        {
            var star = text.LastIndexOf((byte)'*');
            if (star > 0) text = text[..star].TrimEnd((byte)' ');
        }
        return Encoding.ASCII.GetString(text);
    }

    /// <summary>An inner message without its "device 'name': " prefix, to be quoted inside another device message.</summary>
    private string WithoutDeviceName(string message)
    {
        var prefix = $"device '{Name}': ";
        return message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes[..Math.Min(bytes.Length, 64)])
        {
            if (b is >= 0x20 and <= 0x7E) text.Append((char)b);
            else text.Append($"\\x{b:x2}");
        }
        if (bytes.Length > 64) text.Append('…');
        return text.ToString();
    }
}
