using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Learning;
using static TorchSharp.torch;

namespace RoboDdpg.Cli.Bench;

/// <summary>
/// The compute benchmarks of <c>roboddpg bench</c>, on the shapes the issue fixes: a 17 → 256 → 256 → 6 actor,
/// batch 256, 256×256 hidden layers, one TorchSharp thread.
/// </summary>
internal static class MicroBenchmarks
{
    public const int Observations = 17;
    public const int Actions = 6;
    public const int Batch = 256;
    public const int Hidden = 256;

    private static DdpgLearner NewLearner() => new(Observations, Enumerable.Repeat(-1f, Actions).ToArray(), Enumerable.Repeat(1f, Actions).ToArray(),
        new DdpgOptions { HiddenSizes = [Hidden, Hidden], BatchSize = Batch, ReplayCapacity = Batch });

    /// <summary>Managed snapshot, batch 1: p50 ns and bytes allocated per call.</summary>
    public static (double P50Ns, long AllocBytesPerCall) ManagedActor(TimeSpan budget)
    {
        using var learner = NewLearner();
        var policy = learner.ExportPolicy();
        var rng = new Xoshiro256(1);
        var observation = Enumerable.Range(0, Observations).Select(_ => (float)rng.NextUniform(-1, 1)).ToArray();
        var action = new float[Actions];
        var samples = Measure.Nanoseconds(() => policy.Act(observation, action), 10_000, budget);

        const int calls = 100_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < calls; i++) policy.Act(observation, action);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (Measure.Percentile(samples, 50), allocated / calls);
    }

    /// <summary>The same actor in TorchSharp (batch 1, no grad), for comparison.</summary>
    public static double TorchActor(TimeSpan budget)
    {
        using var learner = NewLearner();
        using var noGrad = no_grad();
        using var observation = rand(1, Observations);
        var samples = Measure.Nanoseconds(() =>
        {
            using var action = learner.Actor.forward(observation);
        }, 2_000, budget);
        return Measure.Percentile(samples, 50);
    }

    /// <summary>Sampling a batch of 256 from a full 1M-transition buffer: p50 µs.</summary>
    public static double ReplaySample(TimeSpan budget)
    {
        const int capacity = 1_000_000;
        var replay = new ReplayBuffer(capacity, Observations, Actions);
        var rng = new Xoshiro256(2);
        var o = new float[Observations];
        var a = new float[Actions];
        for (var i = 0; i < capacity; i++)
        {
            o[i % Observations] = i;
            a[i % Actions] = -i;
            replay.Add(o, a, i, o, i % 100 == 0);
        }
        var batch = new ReplayBatch(Batch, Observations, Actions);
        var samples = Measure.Nanoseconds(() => replay.Sample(rng, batch), 200, budget);
        return Measure.Percentile(samples, 50) / 1000;
    }

    /// <summary>One full DDPG update (critic + actor + targets) and the matrix products alone: p50 ms each.</summary>
    public static (double UpdateMs, double GemmMs) UpdateAndGemmFloor(TimeSpan budget)
    {
        set_num_threads(1);
        using var learner = NewLearner();
        var batch = new ReplayBatch(Batch, Observations, Actions);
        var rng = new Xoshiro256(3);
        FillRandom(batch.Observations, rng);
        FillRandom(batch.Actions, rng);
        FillRandom(batch.Rewards, rng);
        FillRandom(batch.NextObservations, rng);
        var update = Measure.Nanoseconds(() => learner.Update(batch), 20, budget);

        using var floor = new GemmFloor();
        var gemm = Measure.Nanoseconds(floor.Run, 20, budget);
        return (Measure.Percentile(update, 50) / 1e6, Measure.Percentile(gemm, 50) / 1e6);
    }

    private static void FillRandom(float[] values, Xoshiro256 rng)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (float)rng.NextUniform(-1, 1);
    }

    /// <summary>
    /// Exactly the matrix products one update performs, with the update's shapes, into preallocated outputs:
    /// the compute floor an update cannot beat. Forward: x·Wᵀ per layer. Backward: dY·W for the input gradient
    /// (where one is needed) and dYᵀ·X for the weight gradient.
    /// </summary>
    private sealed class GemmFloor : IDisposable
    {
        private readonly List<(Tensor A, Tensor B)> _products = [];

        public GemmFloor()
        {
            int o = Observations, a = Actions, h = Hidden, b = Batch;
            // Layer shapes (inputs, outputs) of actor and critic.
            (int In, int Out)[] actor = [(o, h), (h, h), (h, a)];
            (int In, int Out)[] critic = [(o + a, h), (h, h), (h, 1)];

            void Forward((int In, int Out)[] layers) { foreach (var (i, n) in layers) Add(b, i, n); }
            void Backward((int In, int Out)[] layers, bool inputGradOfFirst)
            {
                for (var l = layers.Length - 1; l >= 0; l--)
                {
                    var (i, n) = layers[l];
                    Add(n, b, i); // weight gradient dYᵀ·X: [n×b]·[b×i]
                    if (l > 0 || inputGradOfFirst) Add(b, n, i); // input gradient dY·W: [b×n]·[n×i]
                }
            }

            // Critic target: target actor and target critic forward on s′.
            Forward(actor);
            Forward(critic);
            // Critic step: forward and backward (no gradient into the batch inputs).
            Forward(critic);
            Backward(critic, inputGradOfFirst: false);
            // Actor step: actor and critic forward, backward through the critic into the action, then the actor.
            Forward(actor);
            Forward(critic);
            Backward(critic, inputGradOfFirst: true);
            Backward(actor, inputGradOfFirst: false);
        }

        private void Add(int rows, int inner, int cols) => _products.Add((rand(rows, inner), rand(inner, cols)));

        public void Run()
        {
            // The update allocates its outputs too, so allocating them here keeps the comparison fair.
            foreach (var (x, w) in _products)
            {
                using var y = x.matmul(w);
            }
        }

        public void Dispose()
        {
            foreach (var (x, w) in _products) { x.Dispose(); w.Dispose(); }
        }
    }
}
