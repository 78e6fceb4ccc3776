using RoboDdpg.Core.Policy;

namespace RoboDdpg.Core.Tests;

public sealed class PolicySnapshotExchangeTests
{
    private static MlpPolicy Constant(float value) => new(
        [new DenseLayer(4, 64, Enumerable.Repeat(value, 256).ToArray(), Enumerable.Repeat(value, 64).ToArray()),
         new DenseLayer(64, 1, Enumerable.Repeat(value, 64).ToArray(), [value])],
        [-1f], [1f]);

    private static void Fill(MlpPolicy policy, float value)
    {
        foreach (var layer in policy.Layers)
        {
            Array.Fill(layer.Weights, value);
            Array.Fill(layer.Bias, value);
        }
    }

    [Fact]
    public void Reader_keeps_the_initial_policy_until_a_snapshot_is_published_then_takes_the_newest()
    {
        var exchange = new PolicySnapshotExchange(Constant(0f), () => Constant(float.NaN));
        Assert.Equal(0f, exchange.Acquire(out var v0).Layers[0].Bias[0]);
        Assert.Equal(0, v0);

        Fill(exchange.WriteBuffer, 1f);
        exchange.Publish();
        Fill(exchange.WriteBuffer, 2f);
        Assert.Equal(2, exchange.Publish());

        var taken = exchange.Acquire(out var v2);
        Assert.Equal(2, v2);
        Assert.Equal(2f, taken.Layers[0].Bias[0]); // version 1 was superseded before the reader looked
        Assert.Same(taken, exchange.Acquire(out _)); // nothing new: same buffer
    }

    [Fact]
    public void Concurrent_publish_and_acquire_never_expose_a_torn_or_stale_snapshot()
    {
        var exchange = new PolicySnapshotExchange(Constant(0f), () => Constant(0f));
        const int publications = 20_000;
        var writer = new Thread(() =>
        {
            for (var v = 1; v <= publications; v++)
            {
                Fill(exchange.WriteBuffer, v);
                exchange.Publish();
            }
        });
        writer.Start();

        long lastVersion = 0;
        var reads = 0;
        while (writer.IsAlive || lastVersion < publications)
        {
            var policy = exchange.Acquire(out var version);
            Assert.True(version >= lastVersion, $"version went back from {lastVersion} to {version}");
            lastVersion = version;
            // Every weight of the acquired buffer carries the same version: no half-written snapshot.
            foreach (var layer in policy.Layers)
            {
                Assert.All(layer.Weights, w => Assert.Equal(version, (long)w));
                Assert.All(layer.Bias, b => Assert.Equal(version, (long)b));
            }
            reads++;
        }
        writer.Join();
        Assert.Equal(publications, lastVersion);
        Assert.True(reads > 0);
    }

    [Fact]
    public void Acquire_allocates_nothing()
    {
        var exchange = new PolicySnapshotExchange(Constant(0f), () => Constant(0f));
        exchange.Acquire(out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            exchange.Publish();
            exchange.Acquire(out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
