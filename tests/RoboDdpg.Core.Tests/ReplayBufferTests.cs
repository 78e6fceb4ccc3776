using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Core.Tests;

public sealed class ReplayBufferTests
{
    private static void AddNumbered(ReplayBuffer buffer, int n) =>
        buffer.Add([n, -n], [n * 10f], n * 100f, [n + 0.5f, -n - 0.5f], terminated: n % 2 == 0);

    [Fact]
    public void Stores_transitions_field_by_field()
    {
        var buffer = new ReplayBuffer(capacity: 4, observationSize: 2, actionSize: 1);
        AddNumbered(buffer, 3);
        var t = buffer.Get(0);
        Assert.Equal([3f, -3f], t.Observation);
        Assert.Equal([30f], t.Action);
        Assert.Equal(300f, t.Reward);
        Assert.Equal([3.5f, -3.5f], t.NextObservation);
        Assert.False(t.Terminated);
        Assert.Equal(1, buffer.Count);
    }

    [Fact]
    public void Wraps_around_overwriting_the_oldest_transition()
    {
        var buffer = new ReplayBuffer(capacity: 3, observationSize: 2, actionSize: 1);
        for (var n = 1; n <= 5; n++) AddNumbered(buffer, n);

        // Inserted 1,2,3 into slots 0,1,2; then 4 → slot 0 and 5 → slot 1.
        Assert.Equal(3, buffer.Count);
        Assert.Equal(5, buffer.TotalAdded);
        Assert.Equal(400f, buffer.Get(0).Reward);
        Assert.Equal(500f, buffer.Get(1).Reward);
        Assert.Equal(300f, buffer.Get(2).Reward);
        Assert.True(buffer.Get(0).Terminated);
        Assert.False(buffer.Get(1).Terminated);
    }

    [Fact]
    public void Samples_only_filled_slots_and_covers_them_uniformly()
    {
        var buffer = new ReplayBuffer(capacity: 100, observationSize: 2, actionSize: 1);
        for (var n = 0; n < 10; n++) AddNumbered(buffer, n);
        var batch = new ReplayBatch(size: 1000, observationSize: 2, actionSize: 1);
        var rng = new Xoshiro256(7);
        var counts = new int[10];
        for (var round = 0; round < 20; round++)
        {
            buffer.Sample(rng, batch);
            for (var k = 0; k < batch.Size; k++)
            {
                var slot = batch.Indices[k];
                Assert.InRange(slot, 0, 9);
                counts[slot]++;
                // Row k holds exactly slot's transition.
                Assert.Equal(slot * 100f, batch.Rewards[k]);
                Assert.Equal(slot, batch.Observations[2 * k]);
                Assert.Equal(slot + 0.5f, batch.NextObservations[2 * k]);
                Assert.Equal(slot * 10f, batch.Actions[k]);
                Assert.Equal(slot % 2 == 0 ? 1f : 0f, batch.Terminated[k]);
            }
        }
        // 20 000 draws over 10 slots: expected 2000 each, std ≈ 42; ±250 is ~6σ.
        Assert.All(counts, c => Assert.InRange(c, 1750, 2250));
    }

    [Fact]
    public void Sampling_an_empty_buffer_is_refused()
    {
        var buffer = new ReplayBuffer(4, 2, 1);
        Assert.Throws<InvalidOperationException>(() => buffer.Sample(new Xoshiro256(1), new ReplayBatch(2, 2, 1)));
    }

    [Fact]
    public void Rejects_wrong_shapes()
    {
        var buffer = new ReplayBuffer(4, 2, 1);
        Assert.Throws<ArgumentException>(() => buffer.Add([1f], [1f], 0, [1f, 2f], false));
        Assert.Throws<ArgumentException>(() => buffer.Add([1f, 2f], [1f, 2f], 0, [1f, 2f], false));
    }

    [Fact]
    public void Save_and_load_round_trip_including_the_write_position()
    {
        var buffer = new ReplayBuffer(3, 2, 1);
        for (var n = 1; n <= 4; n++) AddNumbered(buffer, n);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) buffer.Save(w);
        stream.Position = 0;
        var loaded = ReplayBuffer.Load(new BinaryReader(stream));

        Assert.Equal(buffer.Count, loaded.Count);
        Assert.Equal(buffer.TotalAdded, loaded.TotalAdded);
        for (var i = 0; i < 3; i++) Assert.Equal(buffer.Get(i).Reward, loaded.Get(i).Reward);
        // The next insert must overwrite slot 1 (the oldest) in both.
        AddNumbered(buffer, 9);
        AddNumbered(loaded, 9);
        Assert.Equal(900f, loaded.Get(1).Reward);
        Assert.Equal(buffer.Get(1).Reward, loaded.Get(1).Reward);
    }

    [Fact]
    public void Sampling_while_the_producer_overwrites_never_returns_a_torn_transition()
    {
        // Every field of transition n is derived from n, so a row mixing two transitions is detectable.
        var buffer = new ReplayBuffer(capacity: 64, observationSize: 8, actionSize: 4);
        static void Add(ReplayBuffer b, int n) =>
            b.Add(Enumerable.Repeat((float)n, 8).ToArray(), Enumerable.Repeat((float)n, 4).ToArray(), n,
                Enumerable.Repeat((float)n, 8).ToArray(), n % 2 == 0);
        for (var n = 0; n < 64; n++) Add(buffer, n);

        using var stop = new CancellationTokenSource();
        var producer = new Thread(() =>
        {
            var n = 64;
            while (!stop.IsCancellationRequested) Add(buffer, n++ % 1_000_000);
        });
        producer.Start();
        try
        {
            var batch = new ReplayBatch(256, 8, 4);
            var rng = new Xoshiro256(1);
            for (var round = 0; round < 2_000; round++)
            {
                buffer.Sample(rng, batch);
                for (var k = 0; k < batch.Size; k++)
                {
                    var n = batch.Rewards[k];
                    for (var j = 0; j < 8; j++)
                    {
                        Assert.Equal(n, batch.Observations[k * 8 + j]);
                        Assert.Equal(n, batch.NextObservations[k * 8 + j]);
                    }
                    for (var j = 0; j < 4; j++) Assert.Equal(n, batch.Actions[k * 4 + j]);
                    Assert.Equal((int)n % 2 == 0 ? 1f : 0f, batch.Terminated[k]);
                }
            }
        }
        finally
        {
            stop.Cancel();
            producer.Join();
        }
    }

    [Fact]
    public void Add_allocates_nothing()
    {
        var buffer = new ReplayBuffer(16, 3, 1);
        float[] o = [1f, 2f, 3f], a = [0.5f];
        buffer.Add(o, a, 1f, o, false);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) buffer.Add(o, a, 1f, o, false);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
