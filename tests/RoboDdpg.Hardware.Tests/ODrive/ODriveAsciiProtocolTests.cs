using System.Globalization;
using System.Text;
using RoboDdpg.Hardware.ODrive;
using static RoboDdpg.Hardware.ODrive.ODriveAsciiProtocol;

namespace RoboDdpg.Hardware.Tests.ODrive;

public sealed class ODriveAsciiProtocolTests
{
    private static string Ascii(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Checksum_is_the_xor_of_the_bytes()
    {
        // 'f' 0x66 ^ ' ' 0x20 = 0x46; ^ '0' 0x30 = 0x76; ^ ' ' 0x20 = 0x56 = 86
        Assert.Equal(86, Checksum(Bytes("f 0 ")));
        // 'f' 0x66 ^ ' ' 0x20 = 0x46; ^ '1' 0x31 = 0x77; ^ ' ' 0x20 = 0x57 = 87
        Assert.Equal(87, Checksum(Bytes("f 1 ")));
        Assert.Equal(48, Checksum(Bytes("0"))); // '0' = 0x30
        Assert.Equal(0, Checksum([]));
    }

    [Fact]
    public void Feedback_request_with_and_without_checksum()
    {
        var buffer = new byte[64];
        Assert.Equal("f 0 *86\n", Ascii(buffer.AsSpan(0, FormatFeedbackRequest(buffer, 0, checksum: true))));
        Assert.Equal("f 1\n", Ascii(buffer.AsSpan(0, FormatFeedbackRequest(buffer, 1, checksum: false))));
    }

    [Fact]
    public void Torque_command_carries_the_checksum_of_everything_before_the_star()
    {
        var buffer = new byte[64];
        // "c 0 0.5 ": 0x63^0x20=0x43 ^0x30=0x73 ^0x20=0x53 ^0x30=0x63 ^0x2E=0x4D ^0x35=0x78 ^0x20=0x58 = 88
        Assert.Equal("c 0 0.5 *88\n", Ascii(buffer.AsSpan(0, FormatTorque(buffer, 0, 0.5, checksum: true))));
        Assert.Equal("c 1 -1.25\n", Ascii(buffer.AsSpan(0, FormatTorque(buffer, 1, -1.25, checksum: false))));
    }

    [Fact]
    public void Small_torques_keep_their_precision_and_zero_has_no_sign()
    {
        var buffer = new byte[64];
        // 0.001 N·m at the output through a 30:1 gear: six decimals would send 0.000033 (1 % off).
        Assert.Equal("c 0 0.000033333\n", Ascii(buffer.AsSpan(0, FormatTorque(buffer, 0, 0.001 / 30, checksum: false))));
        Assert.Equal("c 0 0\n", Ascii(buffer.AsSpan(0, FormatTorque(buffer, 0, -1e-12, checksum: false))));
    }

    [Fact]
    public void Velocity_command_with_feed_forward()
    {
        var buffer = new byte[64];
        Assert.Equal("v 0 2\n", Ascii(buffer.AsSpan(0, FormatVelocity(buffer, 0, 2, null, checksum: false))));
        // "v 1 -2.5 0.1 " XORs to 108 (0x6C)
        Assert.Equal("v 1 -2.5 0.1 *108\n", Ascii(buffer.AsSpan(0, FormatVelocity(buffer, 1, -2.5, 0.1, checksum: true))));
    }

    [Fact]
    public void Property_read_and_write()
    {
        var buffer = new byte[300];
        Assert.Equal("r vbus_voltage *93\n", Ascii(buffer.AsSpan(0, FormatRead(buffer, "vbus_voltage", checksum: true))));
        Assert.Equal("w axis0.requested_state 8 *42\n",
            Ascii(buffer.AsSpan(0, FormatWrite(buffer, "axis0.requested_state", 8, checksum: true))));
        Assert.Equal("w axis1.controller.input_vel 1.5\n",
            Ascii(buffer.AsSpan(0, FormatWrite(buffer, "axis1.controller.input_vel", 1.5, checksum: false))));
    }

    [Fact]
    public void Numbers_are_formatted_in_the_invariant_culture_whatever_the_thread_culture()
    {
        var commaCulture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        commaCulture.NumberFormat.NumberDecimalSeparator = ",";
        commaCulture.NumberFormat.NegativeSign = "~";
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = commaCulture;
            var buffer = new byte[64];
            Assert.Equal("c 0 -0.5\n", Ascii(buffer.AsSpan(0, FormatTorque(buffer, 0, -0.5, checksum: false))));
            Assert.True(TryParseFeedback(Bytes("1.5 -2.25"), out var position, out var velocity));
            Assert.Equal((1.5, -2.25), (position, velocity));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Commands_refuse_what_the_firmware_would_misread()
    {
        var buffer = new byte[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => FormatTorque(buffer, 0, double.NaN, checksum: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => FormatVelocity(buffer, 0, double.PositiveInfinity, null, checksum: true));
        Assert.Throws<ArgumentException>(() => FormatRead(buffer, "axis0 error", checksum: false));
        Assert.Throws<ArgumentException>(() => FormatRead(buffer, "axis0.error*3", checksum: false));
        Assert.Throws<ArgumentException>(() => FormatTorque(new byte[4], 0, 1, checksum: false));
    }

    [Fact]
    public void Reply_checksum_is_verified_and_stripped()
    {
        // "0.5 -1": 0x30^0x2E=0x1E ^0x35=0x2B ^0x20=0x0B ^0x2D=0x26 ^0x31=0x17 = 23
        Assert.Equal(ODriveReplyStatus.Ok, CheckReply(Bytes("0.5 -1*23"), checksumExpected: true, out var payload));
        Assert.Equal("0.5 -1", Ascii(payload));
        Assert.Equal(ODriveReplyStatus.ChecksumMismatch, CheckReply(Bytes("0.5 -1*24"), true, out _));
        Assert.Equal(ODriveReplyStatus.ChecksumMismatch, CheckReply(Bytes("0*304"), true, out _)); // 304 mod 256 = 48, still wrong
        Assert.Equal(ODriveReplyStatus.ChecksumMismatch, CheckReply(Bytes("0*"), true, out _));
        Assert.Equal(ODriveReplyStatus.ChecksumMismatch, CheckReply(Bytes("0*4x"), true, out _));
        Assert.Equal(ODriveReplyStatus.MissingChecksum, CheckReply(Bytes("0"), true, out _));
        Assert.Equal(ODriveReplyStatus.Ok, CheckReply(Bytes("0"), false, out payload));
        Assert.Equal("0", Ascii(payload));
        Assert.Equal(ODriveReplyStatus.Ok, CheckReply(Bytes("0*48"), false, out payload)); // checked even when not required
        Assert.Equal("0", Ascii(payload));
        Assert.Equal(ODriveReplyStatus.Malformed, CheckReply([0xFF, 0x13, 0x80, (byte)'?'], false, out _));
    }

    [Fact]
    public void Feedback_answers_parse_to_turns()
    {
        Assert.True(TryParseFeedback(Bytes("1.234567 -0.000123"), out var position, out var velocity));
        Assert.Equal(1.234567, position);
        Assert.Equal(-0.000123, velocity);
        Assert.True(TryParseFeedback(Bytes("-3 4e-2"), out position, out velocity));
        Assert.Equal((-3.0, 0.04), (position, velocity));
        Assert.True(TryParseFeedback(Bytes("nan -nan"), out position, out velocity));
        Assert.True(double.IsNaN(position) && double.IsNaN(velocity));
        Assert.True(TryParseFeedback(Bytes("inf -inf"), out position, out velocity));
        Assert.Equal((double.PositiveInfinity, double.NegativeInfinity), (position, velocity));

        Assert.False(TryParseFeedback(Bytes("invalid property"), out _, out _));
        Assert.False(TryParseFeedback(Bytes("1.5"), out _, out _));
        Assert.False(TryParseFeedback(Bytes("1,5 2"), out _, out _));
        Assert.False(TryParseFeedback(Bytes("1.5 2 3"), out _, out _));
        Assert.False(TryParseFeedback(Bytes(""), out _, out _));
    }

    [Fact]
    public void Property_answers_parse_as_numbers()
    {
        Assert.True(TryParseNumber(Bytes("24.012345"), out var value));
        Assert.Equal(24.012345, value);
        Assert.True(TryParseNumber(Bytes("8"), out value));
        Assert.Equal(8, value);
        Assert.False(TryParseNumber(Bytes("invalid property"), out _));
        Assert.False(TryParseNumber(Bytes("unknown command"), out _));
        Assert.False(TryParseNumber(Bytes("\t1"), out _));
        Assert.False(TryParseNumber(Bytes(""), out _));
    }

    [Fact]
    public void Formatting_and_parsing_do_not_allocate()
    {
        var buffer = new byte[64];
        var answer = Bytes("1.234567 -0.000123*0");
        FormatTorque(buffer, 0, 0.1234, true);
        TryParseFeedback(answer.AsSpan(0, 18), out _, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            FormatTorque(buffer, 0, 0.001 * i, true);
            FormatFeedbackRequest(buffer, 0, true);
            CheckReply(answer, false, out _);
            TryParseFeedback(answer.AsSpan(0, 18), out _, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
