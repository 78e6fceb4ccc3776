using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics;

namespace RoboDdpg.Core.Policy;

/// <summary>
/// The deterministic actor evaluated in managed code: ReLU hidden layers, a tanh output scaled to the
/// action bounds (a = center + halfRange·tanh(z)). It needs no TorchSharp, so it runs on ARM boards, and it
/// allocates nothing per call: scratch buffers are owned by the instance, so one instance serves one thread.
/// <para>
/// Speed: each layer keeps a transposed copy of its weights ([inputs × outputs]) so that y = Wx becomes, for every
/// input j, y += x[j]·Wᵀ[j, :] over contiguous rows with the accumulators in SIMD registers (no horizontal sums).
/// After changing <see cref="DenseLayer.Weights"/> in place, call <see cref="Repack"/>.
/// </para>
/// </summary>
public sealed class MlpPolicy
{
    private readonly DenseLayer[] _layers;
    private readonly float[] _center;
    private readonly float[] _halfRange;
    private readonly float[] _scratchA;
    private readonly float[] _scratchB;
    private readonly float[][] _transposed;

    public MlpPolicy(IReadOnlyList<DenseLayer> layers, IReadOnlyList<float> actionLow, IReadOnlyList<float> actionHigh)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("a policy needs at least one layer", nameof(layers));
        for (var i = 1; i < layers.Count; i++)
        {
            if (layers[i].Inputs != layers[i - 1].Outputs)
                throw new ArgumentException($"layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}");
        }
        var actionSize = layers[^1].Outputs;
        if (actionLow.Count != actionSize || actionHigh.Count != actionSize)
            throw new ArgumentException($"action bounds must have {actionSize} entries");

        _layers = [.. layers];
        _center = new float[actionSize];
        _halfRange = new float[actionSize];
        for (var i = 0; i < actionSize; i++)
        {
            if (!float.IsFinite(actionLow[i]) || !float.IsFinite(actionHigh[i]) || actionLow[i] > actionHigh[i])
                throw new ArgumentException($"action {i} has invalid bounds [{actionLow[i]}, {actionHigh[i]}]");
            _center[i] = (actionHigh[i] + actionLow[i]) / 2f;
            _halfRange[i] = (actionHigh[i] - actionLow[i]) / 2f;
        }
        var widest = _layers.Max(l => l.Outputs);
        _scratchA = new float[widest];
        _scratchB = new float[widest];
        _transposed = _layers.Select(l => new float[l.Weights.Length]).ToArray();
        Repack();
    }

    /// <summary>Rebuilds the transposed weights after the layers' weight arrays were changed in place.</summary>
    public void Repack()
    {
        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var t = _transposed[l];
            for (var o = 0; o < layer.Outputs; o++)
            {
                var row = layer.Weights.AsSpan(o * layer.Inputs, layer.Inputs);
                for (var i = 0; i < row.Length; i++) t[i * layer.Outputs + o] = row[i];
            }
        }
    }

    public IReadOnlyList<DenseLayer> Layers => _layers;
    public int ObservationSize => _layers[0].Inputs;
    public int ActionSize => _layers[^1].Outputs;
    public IReadOnlyList<float> ActionLow => _center.Select((c, i) => c - _halfRange[i]).ToArray();
    public IReadOnlyList<float> ActionHigh => _center.Select((c, i) => c + _halfRange[i]).ToArray();

    /// <summary>Writes μ(observation) into <paramref name="action"/>.</summary>
    public void Act(ReadOnlySpan<float> observation, Span<float> action)
    {
        if (observation.Length != ObservationSize)
            throw new ArgumentException($"observation has {observation.Length} entries, policy expects {ObservationSize}", nameof(observation));
        if (action.Length != ActionSize)
            throw new ArgumentException($"action has {action.Length} entries, policy gives {ActionSize}", nameof(action));

        ReadOnlySpan<float> input = observation;
        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var output = (l % 2 == 0 ? _scratchA : _scratchB).AsSpan(0, layer.Outputs);
            MultiplyTransposed(_transposed[l], layer, input, output);

            if (l < _layers.Length - 1)
                TensorPrimitives.Max(output, 0f, output); // ReLU
            else
                TensorPrimitives.Tanh(output, output);
            input = output;
        }
        TensorPrimitives.MultiplyAdd(input, _halfRange, _center, action);
    }

    /// <summary>y = b + Σ_j x[j]·Wᵀ[j, :], blocks of 4 vectors of outputs kept in registers across all inputs.</summary>
    private static void MultiplyTransposed(float[] transposed, DenseLayer layer, ReadOnlySpan<float> x, Span<float> y)
    {
        var outputs = y.Length;
        ref var w = ref MemoryMarshal.GetArrayDataReference(transposed);
        ref var b = ref MemoryMarshal.GetArrayDataReference(layer.Bias);
        ref var yRef = ref MemoryMarshal.GetReference(y);
        var o = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var width = Vector<float>.Count;
            for (; o + 4 * width <= outputs; o += 4 * width)
            {
                var a0 = Vector.LoadUnsafe(ref b, (nuint)o);
                var a1 = Vector.LoadUnsafe(ref b, (nuint)(o + width));
                var a2 = Vector.LoadUnsafe(ref b, (nuint)(o + 2 * width));
                var a3 = Vector.LoadUnsafe(ref b, (nuint)(o + 3 * width));
                for (var j = 0; j < x.Length; j++)
                {
                    var xj = new Vector<float>(x[j]);
                    var row = (nuint)(j * outputs + o);
                    a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref w, row), xj, a0);
                    a1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref w, row + (nuint)width), xj, a1);
                    a2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref w, row + (nuint)(2 * width)), xj, a2);
                    a3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref w, row + (nuint)(3 * width)), xj, a3);
                }
                a0.StoreUnsafe(ref yRef, (nuint)o);
                a1.StoreUnsafe(ref yRef, (nuint)(o + width));
                a2.StoreUnsafe(ref yRef, (nuint)(o + 2 * width));
                a3.StoreUnsafe(ref yRef, (nuint)(o + 3 * width));
            }
        }
        // Vector<float> is the widest SIMD the host has (AVX2 on x64, NEON on arm64). Outputs left over (a narrow
        // output layer, or no SIMD) take one dot product per row of the row-major weights, SIMD inside.
        var weights = layer.Weights.AsSpan();
        for (; o < outputs; o++)
            y[o] = TensorPrimitives.Dot(weights.Slice(o * x.Length, x.Length), x) + Unsafe.Add(ref b, o);
    }
}
