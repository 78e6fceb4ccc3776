using System.Net;
using RoboDdpg.Core.Environments;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RoboDdpg.Fleet.Tests;

/// <summary>Robot and learner over a real broker: the embedded one here; Mosquitto in <see cref="MosquittoTests"/>.</summary>
public sealed class EmbeddedBrokerTests
{
    [Fact]
    public void Transitions_arrive_complete_and_new_policies_reach_the_loop()
    {
        var port = Brokers.FreePort();
        using var broker = Brokers.Embedded(port);
        using var fleet = new FleetHarness(Brokers.Local(port));
        var actor = fleet.StartActor();
        FleetHarness.WaitUntil(() => fleet.Ingestor.Accepted >= 500, TimeSpan.FromSeconds(20), "500 transitions");

        // A new snapshot: verified on the MQTT thread, picked up by the loop at a tick boundary.
        Assert.True(fleet.Learner.PublishPolicy(TestPolicies.Random(fleet.Spec, 2, 16, 16), TestPolicies.Info(2, learner: 42)));
        FleetHarness.WaitUntil(() => actor.Control.Status.PolicyVersion == 1, TimeSpan.FromSeconds(10), "the loop to act on policy 2");
        var sent = fleet.StopActorAndDrain();

        Assert.Equal((ulong)actor.Ring.TotalAdded, sent);
        Assert.Equal([(0UL, sent)], fleet.Ingestor.Ranges("arm-1", actor.Sending.Epoch));
        var status = fleet.Ingestor.Status;
        Assert.Equal(((long)sent, 0L, 0L, 0L), (status.Accepted, status.Missing, status.Malformed, status.Duplicates));
        Assert.Equal(2UL, actor.Policies.Status.Version);
        Assert.Equal(0, fleet.Loop.Stats.AllocatedBytes); // the loop thread allocated nothing while the sender published
    }

    [Fact]
    public void A_broker_outage_loses_no_transitions_the_sequence_numbers_prove_it()
    {
        var port = Brokers.FreePort();
        var broker = Brokers.Embedded(port);
        using var fleet = new FleetHarness(Brokers.Local(port));
        try
        {
            var actor = fleet.StartActor();
            FleetHarness.WaitUntil(() => fleet.Ingestor.Accepted >= 300, TimeSpan.FromSeconds(20), "300 transitions");
            broker.Dispose(); // the broker goes away mid-run for 10 s; the robot keeps acting
            var ticksAtOutage = actor.Control.Status.Ticks;
            var outage = System.Diagnostics.Stopwatch.StartNew();
            FleetHarness.WaitUntil(() => outage.Elapsed >= FleetHarness.Outage && actor.Sending.Spooled >= 1500, TimeSpan.FromSeconds(40), "10 s of transitions spooled to disk");
            Assert.True(actor.Control.Status.Ticks >= ticksAtOutage + 1000); // the robot kept acting
            broker = Brokers.Embedded(port); // back; its retained policy and sessions are gone, robot and learner reconnect
            Assert.True(fleet.Learner.Link.WaitConnected(TimeSpan.FromSeconds(15)));
            Assert.True(fleet.Learner.PublishPolicy(TestPolicies.Random(fleet.Spec, 3, 16, 16), TestPolicies.Info(3, learner: 42)));
            FleetHarness.WaitUntil(() => actor.Sending.Resent > 0 && actor.Sending.SpoolPending == 0, TimeSpan.FromSeconds(30), "the spool to be resent");
            var sent = fleet.StopActorAndDrain();

            var publisher = actor.Sending;
            Assert.True(publisher.Spooled >= 1500);
            Assert.Equal(0, publisher.SpoolDropped);
            Assert.Equal(0, publisher.Unacknowledged); // the learner confirmed every batch
            Assert.Equal(0, actor.Ring.Dropped);
            Assert.Equal((ulong)actor.Ring.TotalAdded, sent);
            Assert.Equal([(0UL, sent)], fleet.Ingestor.Ranges("arm-1", publisher.Epoch)); // every sequence number, once
            Assert.Equal((long)sent, fleet.Replay.TotalAdded);
            Assert.Equal(0, fleet.Ingestor.Status.Missing);
            Assert.True(actor.Uplink.ConnectionLosses >= 1);
        }
        finally
        {
            broker.Dispose();
        }
    }

    [Fact]
    public void Transitions_published_while_no_learner_listens_are_spooled_not_lost()
    {
        var port = Brokers.FreePort();
        using var broker = Brokers.Embedded(port);
        using var dir = new TempDirectory();
        var topics = new FleetTopics(Brokers.UniqueFleet());
        var key = FleetKey.Generate();
        using var environment = new Sim.Pendulum.PendulumEnvironment().Start();
        using (var publisherOnly = new MqttLink(Brokers.Local(port), "policy-only", false, null, null, null))
        {
            publisherOnly.Start();
            Assert.True(publisherOnly.WaitConnected(TimeSpan.FromSeconds(10)));
            var snapshot = PolicySnapshotMessage.Encode(TestPolicies.Random(environment.Spec, 1, 8), TestPolicies.Info(1), key);
            Assert.True(publisherOnly.Publish(MqttLink.Message(topics.Policy, new ArraySegment<byte>(snapshot), retain: true), out _));
        }
        using var actor = FleetActor.Connect(environment, Brokers.Local(port), key, new FleetActorOptions
        {
            RobotId = "early", Fleet = topics.Fleet, SpoolDirectory = dir.Path, WarmupTransitions = 0,
            Publisher = new TransitionPublisherOptions { FlushInterval = TimeSpan.FromMilliseconds(5), RetryInterval = TimeSpan.FromMilliseconds(50) },
        });
        using var loop = new Core.Timing.RealtimeLoop(actor.Control, new Core.Timing.RealtimeLoopOptions { RateHz = 1000 });
        loop.Start();
        actor.StartSending();
        FleetHarness.WaitUntil(() => actor.Sending.Spooled >= 200, TimeSpan.FromSeconds(20), "transitions spooled while nobody listens");
        Assert.Equal(0, actor.Sending.Published);

        var replay = new Core.Replay.ReplayBuffer(100_000, 3, 1);
        var ingestor = new TransitionIngestor(topics, replay);
        using var learner = new FleetLearnerLink(Brokers.Local(port), topics, key, ingestor);
        learner.Start();
        FleetHarness.WaitUntil(() => actor.Sending.Resent > 0 && actor.Sending.SpoolPending == 0, TimeSpan.FromSeconds(30), "the spool to reach the learner");
        loop.Stop();
        actor.StopSending(TimeSpan.FromSeconds(20));
        var sent = actor.Sending.NextSequence;
        FleetHarness.WaitUntil(() => (ulong)ingestor.Accepted >= sent, TimeSpan.FromSeconds(20), "every transition");
        Assert.Equal([(0UL, sent)], ingestor.Ranges("early", actor.Sending.Epoch));
    }

    [Fact]
    public void A_forged_policy_on_the_broker_is_refused_and_the_loop_keeps_the_signed_one()
    {
        var port = Brokers.FreePort();
        using var broker = Brokers.Embedded(port);
        using var fleet = new FleetHarness(Brokers.Local(port));
        var actor = fleet.StartActor();

        // Someone with broker access but without the fleet key publishes a policy of the right shape.
        using var intruder = new MqttLink(Brokers.Local(port), "intruder", false, null, null, null);
        intruder.Start();
        Assert.True(intruder.WaitConnected(TimeSpan.FromSeconds(10)));
        var forged = PolicySnapshotMessage.Encode(TestPolicies.Random(fleet.Spec, 9, 16, 16), TestPolicies.Info(100, learner: 42), FleetKey.Generate());
        Assert.True(intruder.Publish(MqttLink.Message(fleet.Topics.Policy, new ArraySegment<byte>(forged), retain: true), out _));
        FleetHarness.WaitUntil(() => actor.Policies.Status.BadSignature == 1, TimeSpan.FromSeconds(10), "the robot to refuse the forged policy");

        Assert.Equal(1UL, actor.Policies.Status.Version);
        Assert.Equal(0, actor.Control.Status.PolicyVersion);
        Assert.StartsWith("BadSignature", actor.Policies.Status.LastRefusal);
        // Malformed transition messages on the robot's topic do not disturb the learner either.
        Assert.True(intruder.Publish(MqttLink.Message(fleet.Topics.Transitions("arm-1"), new ArraySegment<byte>([1, 2, 3]), retain: false), out _));
        FleetHarness.WaitUntil(() => fleet.Ingestor.Status.Malformed == 1, TimeSpan.FromSeconds(10), "the learner to count the malformed batch");
        var sent = fleet.StopActorAndDrain();
        Assert.Equal([(0UL, sent)], fleet.Ingestor.Ranges("arm-1", actor.Sending.Epoch));
    }

    [Fact]
    public void Tls_with_a_private_ca_and_a_password_connect_and_a_wrong_password_does_not()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var serverCertificate = X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pfx), null);
        var port = Brokers.FreePort();
        using var broker = EmbeddedBroker.Start(new EmbeddedBrokerOptions
        {
            BindAddress = IPAddress.Loopback, Port = port, TlsCertificate = serverCertificate, Username = "robot", Password = "s3cret",
        });
        using var trusted = X509CertificateLoader.LoadCertificate(selfSigned.Export(X509ContentType.Cert));
        var tls = new BrokerOptions
        {
            Host = "localhost", Port = port, UseTls = true, Username = "robot", Password = "s3cret", TrustedCertificates = [trusted],
            Timeout = TimeSpan.FromSeconds(3),
        };

        using (var good = new MqttLink(tls, "good", false, null, null, null))
        {
            good.Start();
            Assert.True(good.WaitConnected(TimeSpan.FromSeconds(15)), good.LastError);
        }
        using (var wrongPassword = new MqttLink(tls with { Password = "guess" }, "bad", false, null, null, null))
        {
            wrongPassword.Start();
            Assert.False(wrongPassword.WaitConnected(TimeSpan.FromSeconds(2)));
            Assert.True(broker.RefusedLogins >= 1);
        }
        using (var untrusted = new MqttLink(tls with { TrustedCertificates = null }, "untrusted", false, null, null, null))
        {
            untrusted.Start(); // a self-signed broker certificate that nobody vouched for
            Assert.False(untrusted.WaitConnected(TimeSpan.FromSeconds(2)));
            Assert.NotNull(untrusted.LastError);
        }
    }
}

/// <summary>The same against Mosquitto: the CI broker, and a Mosquitto process of the test's own for the outage.</summary>
[Trait("Category", "Fleet")]
public sealed class MosquittoTests
{
    [Fact]
    public void Transitions_and_policies_flow_through_mosquitto()
    {
        using var fleet = new FleetHarness(Brokers.CiMosquitto());
        var actor = fleet.StartActor();
        FleetHarness.WaitUntil(() => fleet.Ingestor.Accepted >= 500, TimeSpan.FromSeconds(20), "500 transitions");
        Assert.True(fleet.Learner.PublishPolicy(TestPolicies.Random(fleet.Spec, 2, 16, 16), TestPolicies.Info(2, learner: 42)));
        FleetHarness.WaitUntil(() => actor.Control.Status.PolicyVersion == 1, TimeSpan.FromSeconds(10), "the loop to act on policy 2");
        var sent = fleet.StopActorAndDrain();
        Assert.Equal([(0UL, sent)], fleet.Ingestor.Ranges("arm-1", actor.Sending.Epoch));
        Assert.Equal((0L, 0L), (fleet.Ingestor.Status.Missing, fleet.Ingestor.Status.Duplicates));
    }

    [Fact]
    public void A_mosquitto_outage_loses_no_transitions()
    {
        using var dir = new TempDirectory();
        using var mosquitto = new MosquittoProcess(Brokers.FreePort(), dir.Path);
        using var fleet = new FleetHarness(Brokers.Local(mosquitto.Port));
        var actor = fleet.StartActor();
        FleetHarness.WaitUntil(() => fleet.Ingestor.Accepted >= 300, TimeSpan.FromSeconds(20), "300 transitions");
        mosquitto.Kill(); // down for 10 s mid-run
        var outage = System.Diagnostics.Stopwatch.StartNew();
        FleetHarness.WaitUntil(() => outage.Elapsed >= FleetHarness.Outage && actor.Sending.Spooled >= 2000, TimeSpan.FromSeconds(40), "10 s of transitions spooled to disk");
        mosquitto.Start();
        Assert.True(fleet.Learner.Link.WaitConnected(TimeSpan.FromSeconds(15)));
        Assert.True(fleet.Learner.PublishPolicy(TestPolicies.Random(fleet.Spec, 3, 16, 16), TestPolicies.Info(3, learner: 42)));
        FleetHarness.WaitUntil(() => actor.Sending.Resent > 0 && actor.Sending.SpoolPending == 0, TimeSpan.FromSeconds(30), "the spool to be resent");
        var sent = fleet.StopActorAndDrain();

        Assert.True(actor.Sending.Spooled >= 2000);
        Assert.Equal((ulong)actor.Ring.TotalAdded, sent);
        Assert.Equal([(0UL, sent)], fleet.Ingestor.Ranges("arm-1", actor.Sending.Epoch));
        Assert.Equal(0, fleet.Ingestor.Status.Missing);
        FleetHarness.WaitUntil(() => actor.Policies.Status.Version == 3, TimeSpan.FromSeconds(10), "the robot to take the policy published after the outage");
    }
}
