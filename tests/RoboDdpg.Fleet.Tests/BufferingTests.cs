using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Replay;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Fleet.Tests;

public sealed class TransitionRingTests
{
    [Fact]
    public void Records_come_out_in_order_across_the_wrap_and_a_full_ring_drops_and_counts()
    {
        var ring = new TransitionRing(capacity: 4, observationSize: 1, actionSize: 1); // 1 + 1 + 1 + 1 + 1 = 5 floats
        var out8 = new float[8 * 5];
        for (var i = 0; i < 3; i++) ring.Add([i], [10 + i], 100 + i, [i + 1], terminated: i == 2);
        Assert.Equal(2, ring.Read(out8, 2));
        Assert.Equal(new float[] { 0, 10, 100, 1, 0, 1, 11, 101, 2, 0 }, out8[..10]);
        for (var i = 3; i < 9; i++) ring.Add([i], [10 + i], 100 + i, [i + 1], false); // 1 left + 6 added: 5 fit? capacity 4 → 3 stored, 3 dropped
        Assert.Equal(9, ring.TotalAdded);
        Assert.Equal(3, ring.Dropped);
        Assert.Equal(4, ring.Read(out8, 8));
        Assert.Equal(new float[] { 2, 3, 4, 5 }, new[] { out8[0], out8[5], out8[10], out8[15] });
        Assert.Equal(1f, out8[4]); // transition 2 was terminal
        Assert.Equal(0, ring.Pending);
    }

    [Fact]
    public void Adding_allocates_nothing()
    {
        var ring = new TransitionRing(1024, 3, 1);
        float[] o = [1, 2, 3], a = [0.5f], n = [4, 5, 6];
        ring.Add(o, a, 1, n, false); // JIT first
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 2000; i++) ring.Add(o, a, i, n, false); // past capacity: the drop path too
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_concurrent_reader_sees_every_record_once_in_order()
    {
        var ring = new TransitionRing(64, 1, 1);
        const int total = 200_000;
        var seen = new List<float>(total);
        var reader = new Thread(() =>
        {
            var buffer = new float[32 * 5];
            while (seen.Count < total)
            {
                var n = ring.Read(buffer, 32);
                for (var i = 0; i < n; i++) seen.Add(buffer[i * 5]);
            }
        });
        reader.Start();
        for (var i = 0; i < total;)
        {
            if (ring.Pending >= ring.Capacity) { Thread.SpinWait(10); continue; }
            ring.Add([i], [0], 0, [0], false);
            i++;
        }
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, ring.Dropped);
        Assert.Equal(Enumerable.Range(0, total).Select(i => (float)i), seen);
    }
}

public sealed class DiskSpoolTests
{
    [Fact]
    public void Messages_come_back_oldest_first_also_after_a_restart()
    {
        using var dir = new TempDirectory();
        var spool = new DiskSpool(dir.Path, maxBytes: 1000);
        spool.Append([1, 2, 3]);
        spool.Append([4, 5]);
        Assert.Equal([1, 2, 3], spool.PeekOldest());
        spool.RemoveOldest();
        spool.Append([6]);

        var reopened = new DiskSpool(dir.Path, maxBytes: 1000); // the actor process restarted
        Assert.Equal(2, reopened.Recovered);
        Assert.Equal([4, 5], reopened.PeekOldest());
        reopened.RemoveOldest();
        reopened.Append([7]);
        Assert.Equal([6], reopened.PeekOldest());
        reopened.RemoveOldest();
        Assert.Equal([7], reopened.PeekOldest());
        reopened.RemoveOldest();
        Assert.Null(reopened.PeekOldest());
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Beyond_its_bound_the_spool_drops_the_oldest_and_counts_them()
    {
        using var dir = new TempDirectory();
        var spool = new DiskSpool(dir.Path, maxBytes: 25);
        for (byte i = 0; i < 5; i++) spool.Append(Enumerable.Repeat(i, 10).ToArray()); // 50 bytes offered, 20 fit
        Assert.Equal(3, spool.DroppedMessages);
        Assert.Equal(2, spool.Count);
        Assert.Equal(20, spool.Bytes);
        Assert.Equal(3, spool.PeekOldest()![0]);
    }
}

public sealed class SequenceRangesTests
{
    [Fact]
    public void Duplicates_are_recognized_exactly_and_holes_are_counted()
    {
        var ranges = new SequenceRanges();
        var added = new List<(ulong, ulong)>();
        ranges.AddNew(0, 10, added);
        Assert.Equal([(0UL, 10UL)], added);
        ranges.AddNew(0, 10, added); // the same batch again (acknowledgement lost)
        Assert.Empty(added);
        ranges.AddNew(20, 30, added); // 10..19 still on their way
        Assert.Equal((20UL, 10UL), (ranges.Received, ranges.Missing));
        ranges.AddNew(5, 25, added); // overlaps both sides: only the hole is new
        Assert.Equal([(10UL, 20UL)], added);
        Assert.Equal([(0UL, 30UL)], ranges.Ranges);
        Assert.Equal((30UL, 0UL), (ranges.Received, ranges.Missing));
        ranges.AddNew(40, 45, added);
        ranges.AddNew(32, 35, added);
        ranges.AddNew(31, 41, added);
        Assert.Equal([(31UL, 32UL), (35UL, 40UL)], added);
        Assert.Equal([(0UL, 30UL), (31UL, 45UL)], ranges.Ranges);
        Assert.Equal(1UL, ranges.Missing);
    }
}

public sealed class PolicyReceiverTests
{
    private static readonly Core.Environments.EnvironmentSpec Pendulum = new PendulumEnvironment().Spec;

    [Fact]
    public void Accepted_snapshots_reach_the_loop_and_refused_ones_are_counted_by_reason()
    {
        var key = FleetKey.Generate();
        var log = new List<string>();
        var receiver = new PolicyReceiver(key, Pendulum, log.Add);
        var v1 = TestPolicies.Random(Pendulum, 1, 8);
        Assert.Equal(PolicyRefusal.None, receiver.Handle(PolicySnapshotMessage.Encode(v1, TestPolicies.Info(1), key)));
        var first = receiver.WaitForFirst(TimeSpan.Zero)!;
        var exchange = receiver.CreateExchange();
        Assert.Equal(TestPolicies.Act(v1, 1, 0, 0), TestPolicies.Act(exchange.Acquire(out var version), 1, 0, 0));
        Assert.Equal(0, version);

        var v2 = TestPolicies.Random(Pendulum, 2, 8);
        Assert.Equal(PolicyRefusal.None, receiver.Handle(PolicySnapshotMessage.Encode(v2, TestPolicies.Info(2), key)));
        Assert.Equal(TestPolicies.Act(v2, 1, 0, 0), TestPolicies.Act(exchange.Acquire(out version), 1, 0, 0));
        Assert.Equal(1, version);

        // Replaying version 1 (validly signed), a forged one, and another shape: all refused, the loop keeps v2.
        Assert.Equal(PolicyRefusal.Stale, receiver.Handle(PolicySnapshotMessage.Encode(v1, TestPolicies.Info(1), key)));
        Assert.Equal(PolicyRefusal.BadSignature, receiver.Handle(PolicySnapshotMessage.Encode(v1, TestPolicies.Info(3), FleetKey.Generate())));
        Assert.Equal(PolicyRefusal.WrongShape, receiver.Handle(PolicySnapshotMessage.Encode(TestPolicies.Random(Pendulum, 3, 4), TestPolicies.Info(4), key)));
        Assert.Equal(PolicyRefusal.Malformed, receiver.Handle([1, 2, 3]));
        Assert.Equal(TestPolicies.Act(v2, 1, 0, 0), TestPolicies.Act(exchange.Acquire(out version), 1, 0, 0));
        Assert.Equal(1, version);

        var status = receiver.Status;
        Assert.Equal((2L, 4L, 1L, 1L, 1L, 1L, 2UL), (status.Accepted, status.Refused, status.Stale, status.BadSignature, status.WrongShape, status.Malformed, status.Version));
        Assert.Equal(4, log.Count(l => l.StartsWith("refused a policy snapshot", StringComparison.Ordinal)));

        // A learner restarted from scratch (another learner id) starts its own version count.
        Assert.Equal(PolicyRefusal.None, receiver.Handle(PolicySnapshotMessage.Encode(v1, TestPolicies.Info(1, learner: 99), key)));
        Assert.Equal(TestPolicies.Act(v1, 1, 0, 0), TestPolicies.Act(exchange.Acquire(out _), 1, 0, 0));
        Assert.NotNull(first);
    }
}

public sealed class TransitionIngestorTests
{
    private readonly FleetTopics _topics = new("lab");

    private static float[] Records(int count, int start) =>
        Enumerable.Range(start, count).SelectMany(i => new float[] { i, i, i, 0.5f, -i, i + 1, i + 1, i + 1, i % 2 }).ToArray();

    [Fact]
    public void Resent_batches_are_dropped_and_every_robot_is_accounted_for()
    {
        var replay = new ReplayBuffer(1000, 3, 1);
        var ingestor = new TransitionIngestor(_topics, replay);
        Assert.Equal(10, ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 0, 3, 1, Records(10, 0))));
        Assert.Equal(0, ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 0, 3, 1, Records(10, 0))));
        Assert.Equal(5, ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 15, 3, 1, Records(5, 15))));
        Assert.Equal(4, ingestor.Handle(_topics.Transitions("b"), TransitionBatch.Encode("b", 9, 0, 3, 1, Records(4, 0))));
        // Batch 5..14 of robot a arrives late and overlaps what is there: only 10..14 are new.
        Assert.Equal(5, ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 10, 3, 1, Records(5, 10))));

        Assert.Equal(24, replay.TotalAdded);
        var a = ingestor.Robots.Single(r => r.RobotId == "a");
        Assert.Equal((20L, 10L, 0L, 4L), (a.Accepted, a.Duplicates, a.Missing, a.Batches));
        Assert.Equal([(0UL, 20UL)], ingestor.Ranges("a", 1));
        var t = replay.Get(0);
        Assert.Equal([0f, 0f, 0f], t.Observation);
        Assert.Equal([1f, 1f, 1f], t.NextObservation);
        Assert.Equal((0.5f, 0f, false), (t.Action[0], t.Reward, t.Terminated));
        Assert.True(replay.Get(1).Terminated);
    }

    [Fact]
    public void Malformed_messages_are_counted_and_dropped_never_thrown()
    {
        var replay = new ReplayBuffer(100, 3, 1);
        var log = new List<string>();
        var ingestor = new TransitionIngestor(_topics, replay, log.Add);
        var nan = Records(2, 0);
        nan[3] = float.NaN;
        var flag = Records(2, 0);
        flag[8] = 0.5f;
        Assert.Equal(0, ingestor.Handle("roboddpg/lab/transitions/a", [0xde, 0xad]));
        Assert.Equal(0, ingestor.Handle("roboddpg/lab/transitions/a", TransitionBatch.Encode("b", 1, 0, 3, 1, Records(2, 0))));
        Assert.Equal(0, ingestor.Handle("roboddpg/lab/transitions/a", TransitionBatch.Encode("a", 1, 0, 4, 1, new float[11 * 2])));
        Assert.Equal(0, ingestor.Handle("roboddpg/lab/transitions/a", TransitionBatch.Encode("a", 1, 0, 3, 1, nan)));
        Assert.Equal(0, ingestor.Handle("roboddpg/lab/transitions/a", TransitionBatch.Encode("a", 1, 0, 3, 1, flag)));
        Assert.Equal(0, ingestor.Handle("roboddpg/lab/elsewhere", TransitionBatch.Encode("a", 1, 0, 3, 1, Records(2, 0))));
        var rng = new System.Random(5);
        for (var i = 0; i < 500; i++)
        {
            var junk = new byte[rng.Next(0, 300)];
            rng.NextBytes(junk);
            ingestor.Handle("roboddpg/lab/transitions/a", junk);
        }

        Assert.Equal(0, replay.TotalAdded);
        Assert.Equal(506, ingestor.Status.Malformed);
        Assert.Contains(log, l => l.Contains("batch on 'roboddpg/lab/transitions/a' names robot 'b'"));
        Assert.Contains(log, l => l.Contains("4 observations and 1 actions, the learner's environment has 3 and 1"));
        Assert.Contains(log, l => l.Contains("transition 0 holds a non-finite value"));
        Assert.Contains(log, l => l.Contains("terminated flag of 0.5"));
        Assert.True(log.Count <= 11); // the first ten, then every thousandth
        Assert.Empty(ingestor.Robots);
    }

    [Fact]
    public void The_learner_acknowledges_the_gap_free_prefix_and_only_when_it_grew()
    {
        var ingestor = new TransitionIngestor(_topics, new ReplayBuffer(100, 3, 1));
        ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 0, 3, 1, Records(10, 0)));
        ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 15, 3, 1, Records(5, 15)));
        Assert.Equal([("a", 1UL, 10UL)], ingestor.TakeAcknowledgements(all: false)); // 10..14 missing: nothing above 10 is confirmed
        Assert.Empty(ingestor.TakeAcknowledgements(all: false));
        Assert.Equal([("a", 1UL, 10UL)], ingestor.TakeAcknowledgements(all: true)); // the periodic repeat
        ingestor.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 10, 3, 1, Records(5, 10)));
        ingestor.Handle(_topics.Transitions("b"), TransitionBatch.Encode("b", 7, 3, 3, 1, Records(2, 3))); // b's 0..2 not here yet
        Assert.Equal([("a", 1UL, 20UL), ("b", 7UL, 0UL)], ingestor.TakeAcknowledgements(all: false).OrderBy(x => x.RobotId).ToList());
    }

    [Fact]
    public void A_restarted_learner_still_recognizes_what_it_already_has()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "fleet-state.json");
        var first = new TransitionIngestor(_topics, new ReplayBuffer(100, 3, 1));
        first.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 0, 3, 1, Records(6, 0)));
        first.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 8, 3, 1, Records(2, 8)));
        first.SaveState(path);

        var replay = new ReplayBuffer(100, 3, 1);
        var second = new TransitionIngestor(_topics, replay);
        second.LoadState(path);
        Assert.Equal(8, second.Accepted);
        Assert.Equal(2, second.Handle(_topics.Transitions("a"), TransitionBatch.Encode("a", 1, 4, 3, 1, Records(6, 4)))); // 6, 7 new
        Assert.Equal([(0UL, 10UL)], second.Ranges("a", 1));
        Assert.Equal(2, replay.TotalAdded);

        File.WriteAllText(path, "{");
        Assert.Contains("fleet-state.json: cannot read", Assert.Throws<FleetConfigException>(() => second.LoadState(path)).Message);
    }
}
