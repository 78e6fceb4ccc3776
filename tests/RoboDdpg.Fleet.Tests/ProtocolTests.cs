using System.Buffers.Binary;
using System.Text;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Fleet.Tests;

public sealed class TransitionBatchTests
{
    [Fact]
    public void A_batch_round_trips_its_header_and_records_bit_for_bit()
    {
        // Pendulum shape: 3 observations, 1 action → 3 + 1 + 1 + 3 + 1 = 9 floats per record.
        var records = Enumerable.Range(0, 18).Select(i => i * 0.5f - 3f).ToArray();
        records[8] = 1f; records[17] = 0f;
        var message = TransitionBatch.Encode("robot-7", epoch: 0xABCDEF, firstSequence: 41, observationSize: 3, actionSize: 1, records);

        // 32 fixed bytes + "robot-7" (7 bytes) padded to 8, + 18 floats.
        Assert.Equal(32 + 8 + 18 * 4, message.Length);
        Assert.True(TransitionBatch.TryParse(message, out var header, out var parsed, out var error), error);
        Assert.Equal(new TransitionBatchHeader("robot-7", 0xABCDEF, 41, 2, 3, 1), header);
        Assert.Equal(records, parsed.ToArray());
    }

    [Theory]
    [InlineData("magic", "not a transition batch")]
    [InlineData("version", "format version 2 is not supported")]
    [InlineData("truncate", "length 107 bytes, the header implies 112")]
    [InlineData("count", "transition count 0 is out of range")]
    [InlineData("robot", "robot id is invalid")]
    public void A_malformed_batch_is_refused_with_its_reason(string damage, string reason)
    {
        var message = TransitionBatch.Encode("robot-7", 1, 0, 3, 1, new float[18]);
        switch (damage)
        {
            case "magic": message[0] = (byte)'X'; break;
            case "version": message[4] = 2; break;
            case "truncate": Array.Resize(ref message, message.Length - 5); break;
            case "count": BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), 0); break;
            case "robot": message[32] = (byte)'/'; break;
        }
        Assert.False(TransitionBatch.TryParse(message, out _, out _, out var error));
        Assert.Equal(reason, error);
    }

    [Fact]
    public void The_learners_acknowledgement_round_trips()
    {
        var ack = TransitionBatch.EncodeAck(0x0102030405060708, 4242);
        Assert.Equal("RDAK"u8.ToArray(), ack[..4]);
        Assert.True(TransitionBatch.TryParseAck(ack, out var epoch, out var end));
        Assert.Equal((0x0102030405060708UL, 4242UL), (epoch, end));
        Assert.False(TransitionBatch.TryParseAck(ack[..19], out _, out _));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rng = new System.Random(3);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[rng.Next(0, 200)];
            rng.NextBytes(bytes);
            if (bytes.Length >= 4 && i % 2 == 0) "RDTB"u8.CopyTo(bytes);
            Assert.False(TransitionBatch.TryParse(bytes, out _, out _, out _));
        }
    }
}

public sealed class BrokerOptionsTests
{
    [Theory]
    [InlineData("mqtt://learner-pc", "learner-pc", 1883, false, null)]
    [InlineData("mqtt://10.0.0.5:18830", "10.0.0.5", 18830, false, null)]
    [InlineData("mqtts://broker.local", "broker.local", 8883, true, null)]
    [InlineData("mqtts://robot1@broker.local:9000/", "broker.local", 9000, true, "robot1")]
    public void Broker_uris_give_host_port_tls_and_user(string uri, string host, int port, bool tls, string? user)
    {
        var options = BrokerOptions.Parse(uri);
        Assert.Equal((host, port, tls, user), (options.Host, options.Port, options.UseTls, options.Username));
    }

    [Theory]
    [InlineData("learner-pc:1883", "is not a URI")]
    [InlineData("http://learner-pc", "scheme 'http' is not supported")]
    [InlineData("mqtt://u:secret@host", "do not put a password in the URI")]
    [InlineData("mqtt://host/topic", "a broker URI has no path")]
    public void Bad_broker_uris_are_one_line_errors(string uri, string expected)
    {
        var e = Assert.Throws<FleetConfigException>(() => BrokerOptions.Parse(uri));
        Assert.Contains(expected, e.Message);
    }
}

public sealed class FleetTopicsTests
{
    [Fact]
    public void Topics_follow_the_documented_layout()
    {
        var topics = new FleetTopics("lab");
        Assert.Equal("roboddpg/lab/policy", topics.Policy);
        Assert.Equal("roboddpg/lab/transitions/arm-1", topics.Transitions("arm-1"));
        Assert.Equal("roboddpg/lab/transitions/+", topics.TransitionsFilter);
        Assert.Equal("roboddpg/lab/status/arm-1", topics.RobotStatus("arm-1"));
        Assert.Equal("arm-1", topics.RobotOfTransitionTopic("roboddpg/lab/transitions/arm-1"));
        Assert.Null(topics.RobotOfTransitionTopic("roboddpg/other/transitions/arm-1"));
        Assert.Null(topics.RobotOfTransitionTopic("roboddpg/lab/transitions/a/b"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("+")]
    [InlineData("")]
    [InlineData("learner")]
    public void Names_that_would_break_topics_are_refused(string name)
    {
        Assert.False(FleetTopics.IsValidName(name));
        Assert.Throws<FleetConfigException>(() => new FleetTopics(name));
    }
}

public sealed class FleetKeyTests
{
    [Fact]
    public void A_saved_key_loads_back_and_only_the_owner_can_read_it()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "fleet.key");
        var key = FleetKey.Generate();
        key.Save(path);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(65, File.ReadAllText(path).Length); // 32 bytes as hex + newline

        var data = Encoding.UTF8.GetBytes("policy bytes");
        var signature = new byte[FleetKey.SignatureBytes];
        key.Sign(data, signature);
        Assert.True(FleetKey.Load(path).Verify(data, signature));
        Assert.False(FleetKey.Generate().Verify(data, signature));
    }

    [Fact]
    public void The_signature_is_HMAC_SHA256_of_the_data_under_the_key()
    {
        // RFC 4231 test case 2 is for a 4-byte key; use a 20-byte key of 0x0b (test case 1): HMAC("Hi There").
        var key = new FleetKey(Enumerable.Repeat((byte)0x0b, 20).ToArray());
        var signature = new byte[32];
        key.Sign("Hi There"u8, signature);
        Assert.Equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", Convert.ToHexString(signature).ToLowerInvariant());
    }

    [Theory]
    [InlineData("zz-not-hex", "must hold the key as hex text")]
    [InlineData("00112233", "fleet key has 4 bytes, at least 16 are needed")]
    public void Bad_key_files_are_one_line_errors_naming_the_file(string content, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.key", content);
        var e = Assert.Throws<FleetConfigException>(() => FleetKey.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("not found", Assert.Throws<FleetConfigException>(() => FleetKey.Load(Path.Combine(dir.Path, "missing.key"))).Message);
    }
}

public sealed class PolicySnapshotMessageTests
{
    private static readonly Core.Environments.EnvironmentSpec Pendulum = new PendulumEnvironment().Spec;
    private readonly FleetKey _key = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void A_signed_snapshot_is_decoded_into_the_same_policy()
    {
        var source = TestPolicies.Random(Pendulum, 1, 16, 8);
        var message = PolicySnapshotMessage.Encode(source, TestPolicies.Info(5), _key);

        Assert.Equal(PolicyRefusal.None, PolicySnapshotMessage.TryDecode(message, _key, Pendulum, out var decoded, out var info, out var detail));
        Assert.Equal("", detail);
        Assert.Equal(TestPolicies.Info(5), info);
        for (var l = 0; l < source.Layers.Count; l++)
        {
            Assert.Equal(source.Layers[l].Weights, decoded!.Layers[l].Weights);
            Assert.Equal(source.Layers[l].Bias, decoded.Layers[l].Bias);
        }
        Assert.Equal(TestPolicies.Act(source, 0.3f, -0.9f, 2f), TestPolicies.Act(decoded!, 0.3f, -0.9f, 2f));
    }

    [Fact]
    public void A_tampered_snapshot_is_refused_and_the_destination_keeps_its_weights()
    {
        var current = TestPolicies.Random(Pendulum, 1, 16, 8);
        var before = TestPolicies.Act(current, 0.1f, 0.2f, 0.3f);
        var message = PolicySnapshotMessage.Encode(TestPolicies.Random(Pendulum, 2, 16, 8), TestPolicies.Info(6), _key);
        message[message.Length / 2] ^= 0x40; // one bit of one weight

        Assert.Equal(PolicyRefusal.BadSignature, PolicySnapshotMessage.VerifyInto(message, _key, Pendulum, current, out _, out _));
        Assert.Equal(before, TestPolicies.Act(current, 0.1f, 0.2f, 0.3f));
    }

    [Fact]
    public void Another_fleets_key_unsigned_and_corrupted_snapshots_are_refused_for_what_they_are()
    {
        var policy = TestPolicies.Random(Pendulum, 1, 16, 8);
        var other = PolicySnapshotMessage.Encode(policy, TestPolicies.Info(1), FleetKey.Generate());
        Assert.Equal(PolicyRefusal.BadSignature, PolicySnapshotMessage.Verify(other, _key, out _, out _));

        // An attacker without the key can only strip the signature and mark the message unsigned.
        var unsigned = PolicySnapshotMessage.Encode(policy, TestPolicies.Info(1), _key)[..^FleetKey.SignatureBytes];
        unsigned[5] = 0;
        Assert.Equal(PolicyRefusal.Unsigned, PolicySnapshotMessage.Verify(unsigned, _key, out _, out _));

        // Signed after corruption (a learner-side fault): the checksum catches it.
        var corrupt = PolicySnapshotMessage.Encode(policy, TestPolicies.Info(1), _key);
        var signedLength = corrupt.Length - FleetKey.SignatureBytes;
        corrupt[signedLength - 1] ^= 1; // last checksum byte
        _key.Sign(corrupt.AsSpan(0, signedLength), corrupt.AsSpan(signedLength));
        Assert.Equal(PolicyRefusal.BadChecksum, PolicySnapshotMessage.Verify(corrupt, _key, out _, out _));

        Assert.Equal(PolicyRefusal.Malformed, PolicySnapshotMessage.Verify("RDTB...."u8, _key, out _, out _));
    }

    [Fact]
    public void Snapshots_of_another_shape_are_refused_even_when_signed()
    {
        var robot = TestPolicies.Random(Pendulum, 1, 16, 8);
        var wrongHidden = PolicySnapshotMessage.Encode(TestPolicies.Random(Pendulum, 1, 16, 4), TestPolicies.Info(2), _key);
        Assert.Equal(PolicyRefusal.WrongShape, PolicySnapshotMessage.VerifyInto(wrongHidden, _key, Pendulum, robot, out _, out var detail));
        Assert.Equal("layer 1 is 16→4, the robot's network has 16→8", detail);

        var wrongEnv = PolicySnapshotMessage.Encode(robot, TestPolicies.Info(2, environment: "motor-pendulum"), _key);
        Assert.Equal(PolicyRefusal.WrongShape, PolicySnapshotMessage.VerifyInto(wrongEnv, _key, Pendulum, robot, out _, out detail));
        Assert.Equal("policy is for 'motor-pendulum', this robot expects 'pendulum'", detail);

        var fourObservations = Pendulum with { Observation = new Core.Environments.BoxSpec(["a", "b", "c", "d"], [-1, -1, -1, -1], [1, 1, 1, 1]) };
        var wide = TestPolicies.Random(fourObservations, 1, 16, 8);
        var wrongInputs = PolicySnapshotMessage.Encode(wide, TestPolicies.Info(2), _key);
        Assert.Equal(PolicyRefusal.WrongShape, PolicySnapshotMessage.VerifyInto(wrongInputs, _key, Pendulum, robot, out _, out detail));
        Assert.Equal("policy maps 4 observations to 1 actions, the robot has 3 and 1", detail);

        var widerBounds = Pendulum with { Action = new Core.Environments.BoxSpec(["torque"], [-5], [5]) };
        var strong = PolicySnapshotMessage.Encode(TestPolicies.Random(widerBounds, 1, 16, 8), TestPolicies.Info(2), _key);
        Assert.Equal(PolicyRefusal.WrongShape, PolicySnapshotMessage.VerifyInto(strong, _key, Pendulum, robot, out _, out detail));
        Assert.Equal("action 0 bounds differ from the robot's", detail);
    }
}
