using System.Numerics.Tensors;

namespace RoboDdpg.Core.Policy;

/// <summary>
/// The deterministic actor evaluated in managed code: ReLU hidden layers, a tanh output scaled to the
/// action bounds (a = center + halfRange·tanh(z)). It needs no TorchSharp, so it runs on ARM boards, and it
/// allocates nothing per call: scratch buffers are owned by the instance, so one instance serves one thread.
/// </summary>
public sealed class MlpPolicy
{
    private readonly DenseLayer[] _layers;
    private readonly float[] _center;
    private readonly float[] _halfRange;
    private readonly float[] _scratchA;
    private readonly float[] _scratchB;

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
            var weights = layer.Weights.AsSpan();
            for (var j = 0; j < layer.Outputs; j++)
                output[j] = TensorPrimitives.Dot(weights.Slice(j * layer.Inputs, layer.Inputs), input) + layer.Bias[j];

            if (l < _layers.Length - 1)
                TensorPrimitives.Max(output, 0f, output); // ReLU
            else
                TensorPrimitives.Tanh(output, output);
            input = output;
        }
        TensorPrimitives.MultiplyAdd(input, _halfRange, _center, action);
    }
}
