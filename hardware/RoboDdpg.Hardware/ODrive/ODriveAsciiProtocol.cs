using System.Globalization;

namespace RoboDdpg.Hardware.ODrive;

/// <summary>How a reply line from the ODrive checked out.</summary>
public enum ODriveReplyStatus
{
    /// <summary>Well formed; the payload is the text before the checksum (if any).</summary>
    Ok,

    /// <summary>A checksum was expected (the command carried one) but the reply has none.</summary>
    MissingChecksum,

    /// <summary>The reply's checksum is not the XOR of its text, or is not a number in 0..255.</summary>
    ChecksumMismatch,

    /// <summary>Not a reply line at all: control or non-ASCII bytes.</summary>
    Malformed,
}

/// <summary>
/// The subset of the ODrive ASCII protocol the driver speaks, as byte-level formatting and parsing that does not
/// allocate. Commands are one line each, ending in '\n':
/// <c>c &lt;axis&gt; &lt;torque&gt;</c> (torque setpoint, N·m at the motor),
/// <c>v &lt;axis&gt; &lt;velocity&gt; [&lt;torque_ff&gt;]</c> (velocity setpoint, turns/s at the motor),
/// <c>f &lt;axis&gt;</c> (feedback: the ODrive answers "&lt;pos&gt; &lt;vel&gt;" in turns and turns/s),
/// <c>r &lt;property&gt;</c> and <c>w &lt;property&gt; &lt;value&gt;</c> (read and write a property such as
/// <c>axis0.requested_state</c>). <c>c</c>, <c>v</c> and a successful <c>w</c> get no answer.
/// </summary>
/// <remarks>
/// The optional checksum follows GCode: the command is sent as <c>&lt;command&gt; *&lt;checksum&gt;</c> where the
/// checksum is the XOR of every byte before '*' (here including the space before it), written in decimal. The ODrive
/// silently ignores a command whose checksum does not match, and when a command had a checksum its answer carries one
/// too: <c>&lt;text&gt;*&lt;checksum of text&gt;\r\n</c>. Numbers are written in the invariant culture (never with a
/// locale's decimal comma) with up to nine decimals, which the firmware's <c>%f</c> reads; it prints six.
/// </remarks>
public static class ODriveAsciiProtocol
{
    /// <summary>Longest line the firmware accepts; longer lines are dropped by it.</summary>
    public const int MaxLineLength = 256;

    /// <summary><c>axisN.requested_state</c> / <c>current_state</c> value for a motor that is not driven.</summary>
    public const int AxisStateIdle = 1;

    /// <summary><c>axisN.requested_state</c> / <c>current_state</c> value for closed-loop control.</summary>
    public const int AxisStateClosedLoop = 8;

    /// <summary><c>controller.config.control_mode</c> value for torque control.</summary>
    public const int ControlModeTorque = 1;

    /// <summary><c>controller.config.control_mode</c> value for velocity control.</summary>
    public const int ControlModeVelocity = 2;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>XOR of the bytes: the protocol's checksum of a command (bytes before '*') or a reply's text.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte checksum = 0;
        foreach (var b in bytes) checksum ^= b;
        return checksum;
    }

    /// <summary>Writes <c>c &lt;axis&gt; &lt;torque&gt;</c>; returns the byte count.</summary>
    public static int FormatTorque(Span<byte> destination, int axis, double torque, bool checksum)
    {
        var w = new LineWriter(destination);
        w.Append("c ");
        w.Append(axis);
        w.Append(' ');
        w.Append(torque, nameof(torque));
        return w.Finish(checksum);
    }

    /// <summary>Writes <c>v &lt;axis&gt; &lt;velocity&gt; [&lt;torque_ff&gt;]</c>; returns the byte count.</summary>
    public static int FormatVelocity(Span<byte> destination, int axis, double velocity, double? torqueFeedForward, bool checksum)
    {
        var w = new LineWriter(destination);
        w.Append("v ");
        w.Append(axis);
        w.Append(' ');
        w.Append(velocity, nameof(velocity));
        if (torqueFeedForward is { } feedForward)
        {
            w.Append(' ');
            w.Append(feedForward, nameof(torqueFeedForward));
        }
        return w.Finish(checksum);
    }

    /// <summary>Writes <c>f &lt;axis&gt;</c>; returns the byte count.</summary>
    public static int FormatFeedbackRequest(Span<byte> destination, int axis, bool checksum)
    {
        var w = new LineWriter(destination);
        w.Append("f ");
        w.Append(axis);
        return w.Finish(checksum);
    }

    /// <summary>Writes <c>r &lt;property&gt;</c>; returns the byte count.</summary>
    public static int FormatRead(Span<byte> destination, ReadOnlySpan<char> property, bool checksum)
    {
        var w = new LineWriter(destination);
        w.Append("r ");
        w.AppendName(property);
        return w.Finish(checksum);
    }

    /// <summary>Writes <c>w &lt;property&gt; &lt;integer&gt;</c> (states, modes, error resets); returns the byte count.</summary>
    public static int FormatWrite(Span<byte> destination, ReadOnlySpan<char> property, long value, bool checksum)
    {
        var w = new LineWriter(destination);
        w.Append("w ");
        w.AppendName(property);
        w.Append(' ');
        w.Append(value);
        return w.Finish(checksum);
    }

    /// <summary>Writes <c>w &lt;property&gt; &lt;number&gt;</c>; returns the byte count.</summary>
    public static int FormatWrite(Span<byte> destination, ReadOnlySpan<char> property, double value, bool checksum)
    {
        var w = new LineWriter(destination);
        w.Append("w ");
        w.AppendName(property);
        w.Append(' ');
        w.Append(value, nameof(value));
        return w.Finish(checksum);
    }

    /// <summary>
    /// Checks a reply line (without its line ending) and finds its text. With <paramref name="checksumExpected"/> the
    /// line must end in <c>*&lt;decimal checksum&gt;</c> matching the XOR of the text; without it, a line that
    /// nevertheless carries a checksum is checked too.
    /// </summary>
    public static ODriveReplyStatus CheckReply(ReadOnlySpan<byte> line, bool checksumExpected, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        foreach (var b in line)
        {
            if (b < 0x20 || b > 0x7E) return ODriveReplyStatus.Malformed;
        }
        var star = line.LastIndexOf((byte)'*');
        if (star < 0)
        {
            if (checksumExpected) return ODriveReplyStatus.MissingChecksum;
            payload = line;
            return ODriveReplyStatus.Ok;
        }
        var digits = line[(star + 1)..];
        if (digits.IsEmpty || digits.Length > 3) return ODriveReplyStatus.ChecksumMismatch;
        var received = 0;
        foreach (var d in digits)
        {
            if (d < (byte)'0' || d > (byte)'9') return ODriveReplyStatus.ChecksumMismatch;
            received = received * 10 + (d - '0');
        }
        var text = line[..star];
        if (received != Checksum(text)) return ODriveReplyStatus.ChecksumMismatch;
        payload = text;
        return ODriveReplyStatus.Ok;
    }

    /// <summary>
    /// Parses a feedback answer "&lt;pos&gt; &lt;vel&gt;" (two numbers separated by spaces). "nan" and "inf" parse
    /// to non-finite values, so the caller can tell a device reporting NaN from garbage.
    /// </summary>
    public static bool TryParseFeedback(ReadOnlySpan<byte> payload, out double position, out double velocity)
    {
        velocity = 0;
        var rest = payload.Trim((byte)' ');
        var gap = rest.IndexOf((byte)' ');
        if (gap < 0 || !TryParseNumber(rest[..gap], out position)) { position = 0; return false; }
        return TryParseNumber(rest[(gap + 1)..].TrimStart((byte)' '), out velocity);
    }

    /// <summary>Parses one number (invariant culture, as printed by <c>%f</c>/<c>%d</c>), including nan and ±inf.</summary>
    public static bool TryParseNumber(ReadOnlySpan<byte> text, out double value)
    {
        text = text.Trim((byte)' ');
        if (text.IsEmpty) { value = 0; return false; }
        var unsigned = text[0] is (byte)'-' or (byte)'+' ? text[1..] : text;
        if (unsigned.Length == 3 && (unsigned[0] | 0x20) == 'i' && (unsigned[1] | 0x20) == 'n' && (unsigned[2] | 0x20) == 'f')
        {
            value = text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        // Trim above removed the spaces NumberStyles.Float would accept; other whitespace (\t) stays an error.
        if (unsigned.IsEmpty || !(char.IsAsciiDigit((char)unsigned[0]) || unsigned[0] == '.' || (unsigned[0] | 0x20) == 'n'))
        {
            value = 0;
            return false;
        }
        return double.TryParse(text, NumberStyles.Float, Invariant, out value);
    }

    /// <summary>Builds one command line in a caller-owned buffer.</summary>
    private ref struct LineWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _length;

        public void Append(char c)
        {
            Ensure(1);
            _destination[_length++] = (byte)c;
        }

        public void Append(string ascii)
        {
            Ensure(ascii.Length);
            foreach (var c in ascii) _destination[_length++] = (byte)c;
        }

        public void AppendName(ReadOnlySpan<char> name)
        {
            if (name.IsEmpty) throw new ArgumentException("property name is empty", nameof(name));
            Ensure(name.Length);
            foreach (var c in name)
            {
                // A space, '*', ';' or line ending would change how the firmware splits the line.
                if (c <= ' ' || c > '~' || c is '*' or ';' or '!')
                    throw new ArgumentException($"property name '{name}' has a character the protocol cannot carry", nameof(name));
                _destination[_length++] = (byte)c;
            }
        }

        public void Append(long value)
        {
            if (!value.TryFormat(_destination[_length..], out var written, default, Invariant)) throw TooSmall();
            _length += written;
        }

        public void Append(double value, string what)
        {
            if (!double.IsFinite(value))
                throw new ArgumentOutOfRangeException(what, value, "an ODrive command must be a finite number");
            // Up to nine decimals: six (the firmware's own %f) would cost small gear-reduced torques their precision.
            var rounded = Math.Round(value, 9);
            if (rounded == 0) rounded = 0; // no "-0"
            if (!rounded.TryFormat(_destination[_length..], out var written, "0.#########", Invariant)) throw TooSmall();
            _length += written;
        }

        public int Finish(bool checksum)
        {
            if (checksum)
            {
                Append(' ');
                var sum = Checksum(_destination[.._length]);
                Append('*');
                Append((long)sum);
            }
            Append('\n');
            if (_length > MaxLineLength) throw new ArgumentException($"command is {_length} bytes, longer than the firmware's {MaxLineLength}");
            return _length;
        }

        private readonly void Ensure(int count)
        {
            if (_length + count > _destination.Length) throw TooSmall();
        }

        private readonly ArgumentException TooSmall() =>
            new($"command buffer of {_destination.Length} bytes is too small", "destination");
    }
}
