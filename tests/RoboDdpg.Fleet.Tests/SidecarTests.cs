using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RoboDdpg.Fleet.Sidecar;

namespace RoboDdpg.Fleet.Tests;

/// <summary>
/// The actor's MQTT sidecar: the memory it shares with the loop process, and the sidecar itself run on a thread
/// against a real broker (the process split is exercised by the CLI's actor tests, which use it by default).
/// </summary>
public sealed class SidecarTests
{
    private static void AddTransition(TransitionRing ring, int i) =>
        ring.Add([i, -i, 0.5f], [i * 0.001f], -i, [i + 1, -(i + 1), 0.25f], terminated: i % 7 == 0);

    [Fact]
    public void A_mailbox_never_hands_out_a_torn_message()
    {
        using var memory = ActorSharedMemory.Create(16, 3, 1, snapshotCapacity: 8 + 4000);
        const int Messages = 20_000;
        var writer = new Thread(() =>
        {
            var message = new byte[8 + 4000];
            for (var k = 1; k <= Messages; k++)
            {
                var length = 8 + k % 4000;
                BinaryPrimitives.WriteInt32LittleEndian(message, k);
                message.AsSpan(4, length - 4).Fill((byte)k);
                Assert.True(memory.Snapshots.Post(message.AsSpan(0, length)));
            }
        });
        writer.Start();
        var buffer = Array.Empty<byte>();
        var taken = 0;
        var last = 0;
        while (writer.IsAlive || memory.Snapshots.LastTaken < Messages)
        {
            if (!memory.Snapshots.TryTake(ref buffer, out var length)) continue;
            var k = BinaryPrimitives.ReadInt32LittleEndian(buffer);
            Assert.Equal(8 + k % 4000, length);
            Assert.True(buffer.AsSpan(4, length - 4).IndexOfAnyExcept((byte)k) < 0, $"message {k} mixed with another");
            Assert.True(k > last, $"message {k} after {last}");
            Assert.Equal(k, memory.Snapshots.LastTaken);
            last = k;
            taken++;
        }
        writer.Join();
        Assert.Equal(Messages, last); // the newest one always arrives
        Assert.True(taken > 1);
        Assert.False(memory.Snapshots.TryTake(ref buffer, out _)); // nothing new
        Assert.False(memory.Snapshots.Post(new byte[8 + 4001])); // longer than the slot: refused, not cut
        Assert.Equal(Messages, memory.Snapshots.Posted);
    }

    [Fact]
    public void A_second_mapping_sees_the_same_ring_and_positions()
    {
        using var loopSide = ActorSharedMemory.Create(8, 3, 1, snapshotCapacity: 1024);
        using var sidecarSide = ActorSharedMemory.Open(loopSide.Path);
        Assert.Equal((8, 3, 1, 1024), (sidecarSide.RingCapacity, sidecarSide.ObservationSize, sidecarSide.ActionSize, sidecarSide.SnapshotCapacity));
        for (var i = 0; i < 6; i++) AddTransition(loopSide.Ring, i);

        var records = new float[8 * sidecarSide.Ring.RecordFloats];
        Assert.Equal(6, sidecarSide.Ring.Peek(records, 4) + 2);
        Assert.Equal(6, loopSide.Ring.Pending); // peeked, not freed: a sidecar killed now leaves them for the next
        sidecarSide.Ring.Free(4);
        Assert.Equal(2, loopSide.Ring.Pending);
        // Record 1 as the loop wrote it: observation, action, reward, next observation, terminated.
        Assert.Equal([1f, -1f, 0.5f, 0.001f, -1f, 2f, -2f, 0.25f, 0f], records.AsSpan(9, 9).ToArray());
        Assert.Equal(1f, records[8]); // record 0 is terminated (0 % 7 == 0)

        for (var i = 6; i < 14; i++) AddTransition(loopSide.Ring, i); // 2 waiting + 8 = 10 > 8: two dropped
        Assert.Equal(2, sidecarSide.Ring.Dropped);
        Assert.Equal(14, sidecarSide.Ring.TotalAdded);
        Assert.Equal(8, sidecarSide.Ring.Read(records, 8));
        Assert.Equal(4f, records[0]); // wrapped: records 4..11 survive
        Assert.Throws<ArgumentOutOfRangeException>(() => sidecarSide.Ring.Free(1));
    }

    [Fact]
    public void The_creator_removes_the_file_and_a_foreign_file_is_refused_in_one_line()
    {
        string path;
        using (var memory = ActorSharedMemory.Create(4, 2, 2, 64)) path = memory.Path;
        Assert.False(File.Exists(path));
        var missing = Assert.Throws<FleetConfigException>(() => ActorSharedMemory.Open(path));
        Assert.Contains(path, missing.Message);

        using var dir = new TempDirectory();
        var junk = Path.Combine(dir.Path, "junk");
        File.WriteAllBytes(junk, RandomNumberGenerator.GetBytes(8192));
        var foreign = Assert.Throws<FleetConfigException>(() => ActorSharedMemory.Open(junk));
        Assert.Equal($"{junk}: not an actor's shared memory of this version", foreign.Message);
    }

    [Fact]
    public void The_configuration_line_carries_broker_login_and_trusted_certificates()
    {
        using var rsa = RSA.Create(2048);
        using var ca = new CertificateRequest("CN=fleet-ca", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var broker = new BrokerOptions
        {
            Host = "learner-pc", Port = 8883, UseTls = true, Username = "arm", Password = "p\"w 1", TrustedCertificates = [ca],
            Timeout = TimeSpan.FromSeconds(4), KeepAlive = TimeSpan.FromSeconds(3),
        };
        var settings = new UplinkSettings
        {
            RobotId = "arm-2", Topics = new FleetTopics("lab"), SpoolDirectory = "/var/spool/x", SpoolMaxBytes = 12345,
            Publisher = new TransitionPublisherOptions { MaxBatch = 64, FlushInterval = TimeSpan.FromMilliseconds(7), RetryInterval = TimeSpan.FromMilliseconds(300) },
        };
        var line = ActorSidecarConfig.From("/dev/shm/x", broker, settings).ToJsonLine();
        Assert.DoesNotContain('\n', line);

        var parsed = ActorSidecarConfig.Parse(line);
        var b = parsed.Broker();
        Assert.Equal((broker.Host, broker.Port, true, "arm", "p\"w 1", broker.Timeout, broker.KeepAlive), (b.Host, b.Port, b.UseTls, b.Username, b.Password, b.Timeout, b.KeepAlive));
        Assert.Equal(ca.Thumbprint, Assert.Single(b.TrustedCertificates!).Thumbprint);
        var s = parsed.Settings();
        Assert.Equal((settings.RobotId, "lab", settings.SpoolDirectory, 12345L), (s.RobotId, s.Topics.Fleet, s.SpoolDirectory, s.SpoolMaxBytes));
        Assert.Equal(settings.Publisher, s.Publisher);
        Assert.Equal("/dev/shm/x", parsed.SharedMemory);

        Assert.StartsWith("actor-link: expected the sidecar configuration", Assert.Throws<FleetConfigException>(() => ActorSidecarConfig.Parse(null)).Message);
        Assert.StartsWith("actor-link: bad configuration line", Assert.Throws<FleetConfigException>(() => ActorSidecarConfig.Parse("{\"host\":")).Message);
    }

    [Fact]
    public void A_sidecar_sends_the_shared_ring_relays_snapshots_unverified_and_publishes_the_status()
    {
        var port = Brokers.FreePort();
        using var broker = Brokers.Embedded(port);
        using var fleet = new FleetHarness(Brokers.Local(port));
        using var dir = new TempDirectory();
        using var memory = ActorSharedMemory.Create(4096, 3, 1, snapshotCapacity: 1 << 20);
        using var sidecar = new RunningSidecar(memory, fleet.Broker, fleet.Topics, Path.Combine(dir.Path, "spool"));
        FleetHarness.WaitUntil(() => memory.State == SidecarState.Running, TimeSpan.FromSeconds(10), "the sidecar to run");

        for (var i = 0; i < 3000; i++)
        {
            AddTransition(memory.Ring, i);
            if (i % 500 == 0) Thread.Sleep(5);
        }
        FleetHarness.WaitUntil(() => fleet.Ingestor.Accepted >= 3000, TimeSpan.FromSeconds(20), "3000 transitions at the learner");

        // The retained snapshot, passed on byte for byte: the loop process verifies it.
        var message = Array.Empty<byte>();
        var length = 0;
        FleetHarness.WaitUntil(() => memory.Snapshots.TryTake(ref message, out length), TimeSpan.FromSeconds(10), "the retained snapshot in the mailbox");
        Assert.Equal(PolicyRefusal.None, PolicySnapshotMessage.Verify(message.AsSpan(0, length), fleet.Key, out var info, out _));
        Assert.Equal(1UL, info!.Version);
        // A forged one is passed on too (the sidecar holds no key), and refused where the key is.
        Assert.True(fleet.Learner.Link.Publish(MqttLink.Message(fleet.Topics.Policy, new ArraySegment<byte>(message, 0, length / 2), retain: true), out _));
        FleetHarness.WaitUntil(() => memory.Snapshots.TryTake(ref message, out length), TimeSpan.FromSeconds(10), "the cut snapshot in the mailbox");
        Assert.NotEqual(PolicyRefusal.None, PolicySnapshotMessage.Verify(message.AsSpan(0, length), fleet.Key, out _, out _));

        Assert.True(memory.Status.Post("{\"state\":\"acting\"}"u8));
        FleetHarness.WaitUntil(() => memory.StatusHandled == 1, TimeSpan.FromSeconds(10), "the status to be published");
        Assert.True(memory.StatusDelivered);

        memory.StopRequest = 5000 + 1;
        FleetHarness.WaitUntil(() => memory.State == SidecarState.Drained, TimeSpan.FromSeconds(20), "the sidecar to drain");
        Assert.Equal(3000, memory.Counter(SidecarCounter.NextSequence));
        // Published on first try, or spooled while it was still connecting and resent: all of them either way.
        Assert.Equal(3000, memory.Counter(SidecarCounter.Published) + memory.Counter(SidecarCounter.Spooled));
        Assert.Equal(0, memory.Counter(SidecarCounter.SpoolPending));
        Assert.Equal(1, memory.Counter(SidecarCounter.Connected));
        Assert.Equal([(0UL, 3000UL)], fleet.Ingestor.Ranges("side-1", (ulong)memory.Counter(SidecarCounter.Epoch)));
        Assert.Equal(0, sidecar.Stop());
        Assert.Equal(0, memory.Ring.Pending);
    }

    [Fact]
    public void When_the_loop_process_goes_away_the_sidecar_spools_what_the_ring_holds()
    {
        using var dir = new TempDirectory();
        using var memory = ActorSharedMemory.Create(4096, 3, 1, snapshotCapacity: 1024);
        var nobody = Brokers.Local(Brokers.FreePort()) with { Timeout = TimeSpan.FromMilliseconds(300) };
        var spool = Path.Combine(dir.Path, "spool");
        using (var sidecar = new RunningSidecar(memory, nobody, new FleetTopics(Brokers.UniqueFleet()), spool))
        {
            FleetHarness.WaitUntil(() => memory.State == SidecarState.Running, TimeSpan.FromSeconds(10), "the sidecar to run");
            for (var i = 0; i < 700; i++) AddTransition(memory.Ring, i);
            FleetHarness.WaitUntil(() => memory.LastError.Posted > 0, TimeSpan.FromSeconds(10), "the sidecar to say why it cannot connect");
            Assert.Equal(0, sidecar.Stop()); // the input closed without a stop request: the loop process died
        }
        Assert.Equal(0, memory.Ring.Pending);
        Assert.Equal(700, memory.Counter(SidecarCounter.Spooled));
        Assert.Equal(0, memory.Counter(SidecarCounter.Connected));
        // The spool holds every transition for the next run, in order.
        var next = new DiskSpool(spool, 1 << 20);
        ulong expected = 0;
        while (next.PeekOldest() is { } batch)
        {
            var (_, end) = TransitionBatch.PeekRange(batch);
            Assert.True(end > expected);
            expected = end;
            next.RemoveOldest();
        }
        Assert.Equal(700UL, expected);
    }

    /// <summary>The sidecar on a thread, as the hidden <c>actor-link</c> command runs it; <see cref="Stop"/> closes its input.</summary>
    private sealed class RunningSidecar : IDisposable
    {
        private readonly CancellationTokenSource _closed = new();
        private readonly Thread _thread;
        private int _exit = -1;

        public RunningSidecar(ActorSharedMemory memory, BrokerOptions broker, FleetTopics topics, string spool)
        {
            var settings = new UplinkSettings
            {
                RobotId = "side-1", Topics = topics, SpoolDirectory = spool,
                Publisher = new TransitionPublisherOptions { FlushInterval = TimeSpan.FromMilliseconds(10), RetryInterval = TimeSpan.FromMilliseconds(100) },
            };
            var config = ActorSidecarConfig.Parse(ActorSidecarConfig.From(memory.Path, broker, settings).ToJsonLine());
            _thread = new Thread(() => _exit = ActorSidecar.Run(config, _ => { }, _closed.Token)) { IsBackground = true };
            _thread.Start();
        }

        public int Stop()
        {
            _closed.Cancel();
            Assert.True(_thread.Join(TimeSpan.FromSeconds(30)), "the sidecar did not stop");
            return _exit;
        }

        public void Dispose()
        {
            if (_thread.IsAlive) Stop();
            _closed.Dispose();
        }
    }
}
