using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RoboDdpg.Learning.Networks;

/// <summary>
/// Deterministic actor μ_θ(s): ReLU hidden layers, tanh output scaled to the action bounds.
/// Submodules are named fc1..fcN and "out" so checkpoints are readable by name; the bounds are buffers
/// ("action_center", "action_half_range") so they travel with the weights.
/// </summary>
public sealed class ActorNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Linear[] _hidden;
    private readonly Linear _out;
    private readonly Tensor _center;
    private readonly Tensor _halfRange;
    private readonly Scalar _one = 1.0.ToScalar(); // explicit alpha: an implicit one is a finalizable Scalar per call

    public ActorNetwork(int observationSize, int actionSize, IReadOnlyList<int> hiddenSizes,
        IReadOnlyList<float> actionLow, IReadOnlyList<float> actionHigh) : base("actor")
    {
        ObservationSize = observationSize;
        ActionSize = actionSize;
        HiddenSizes = [.. hiddenSizes];
        _hidden = new Linear[hiddenSizes.Count];
        var inputs = observationSize;
        for (var i = 0; i < hiddenSizes.Count; i++)
        {
            _hidden[i] = nn.Linear(inputs, hiddenSizes[i]);
            register_module($"fc{i + 1}", _hidden[i]);
            inputs = hiddenSizes[i];
        }
        _out = nn.Linear(inputs, actionSize);
        register_module("out", _out);

        var center = new float[actionSize];
        var half = new float[actionSize];
        for (var i = 0; i < actionSize; i++)
        {
            center[i] = (actionHigh[i] + actionLow[i]) / 2f;
            half[i] = (actionHigh[i] - actionLow[i]) / 2f;
        }
        _center = tensor(center);
        _halfRange = tensor(half);
        register_buffer("action_center", _center);
        register_buffer("action_half_range", _halfRange);
    }

    public int ObservationSize { get; }
    public int ActionSize { get; }
    public int[] HiddenSizes { get; }

    /// <summary>Linear layers in forward order (hidden layers, then the output layer).</summary>
    public IEnumerable<Linear> Layers => _hidden.Append(_out);

    public override Tensor forward(Tensor observation)
    {
        using var scope = NewDisposeScope();
        var x = observation;
        foreach (var layer in _hidden)
            x = nn.functional.relu(layer.forward(x));
        var action = tanh(_out.forward(x)).mul(_halfRange).add(_center, _one);
        return action.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in _hidden) layer.Dispose();
            _out.Dispose();
            _center.Dispose();
            _halfRange.Dispose();
            _one.Dispose();
        }
        base.Dispose(disposing);
    }
}
