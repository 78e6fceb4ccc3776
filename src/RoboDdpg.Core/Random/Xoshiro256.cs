using System.Runtime.CompilerServices;

namespace RoboDdpg.Core.Random;

/// <summary>
/// xoshiro256** pseudo-random generator. Unlike <see cref="System.Random"/> its whole state is four
/// words that a checkpoint can save and restore, so a resumed run continues the same random stream.
/// Not thread-safe: give each thread its own instance.
/// </summary>
public sealed class Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed) => Reseed(seed);

    private Xoshiro256() { }

    /// <summary>Reseeds with SplitMix64 expansion, as the xoshiro authors recommend.</summary>
    public void Reseed(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    public ulong NextUInt64()
    {
        var result = BitRotate(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitRotate(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double NextUniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, maxExclusive), unbiased (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        var range = (ulong)maxExclusive;
        var product = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0 - range) % range;
            while (low < threshold)
                product = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)product;
    }

    /// <summary>Standard normal sample (Box–Muller; one of the pair is dropped to keep the state four words).</summary>
    public double NextGaussian()
    {
        double u1;
        do { u1 = NextDouble(); } while (u1 <= double.Epsilon);
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    public static Xoshiro256 FromState(ReadOnlySpan<ulong> state)
    {
        var rng = new Xoshiro256();
        rng.SetState(state);
        return rng;
    }

    /// <summary>Continues from a state saved by <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException("xoshiro256 state has 4 words", nameof(state));
        if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0)
            throw new ArgumentException("xoshiro256 state must not be all zero", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
