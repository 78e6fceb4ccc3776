using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RoboDdpg.Learning.Networks;

/// <summary>Action-value function Q_φ(s, a): the concatenated [s, a] through ReLU hidden layers to one output.</summary>
public sealed class CriticNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear[] _hidden;
    private readonly Linear _out;

    private readonly int _observationSize;
    private readonly int _actionSize;

    public CriticNetwork(int observationSize, int actionSize, IReadOnlyList<int> hiddenSizes) : base("critic")
    {
        _observationSize = observationSize;
        _actionSize = actionSize;
        _hidden = new Linear[hiddenSizes.Count];
        var inputs = observationSize + actionSize;
        for (var i = 0; i < hiddenSizes.Count; i++)
        {
            _hidden[i] = nn.Linear(inputs, hiddenSizes[i]);
            register_module($"fc{i + 1}", _hidden[i]);
            inputs = hiddenSizes[i];
        }
        _out = nn.Linear(inputs, 1);
        register_module("out", _out);
    }

    /// <summary>Linear layers in forward order (hidden layers, then the output layer).</summary>
    public IEnumerable<Linear> Layers => _hidden.Append(_out);

    /// <summary>Returns Q(s, a) with shape [batch, 1].</summary>
    public override Tensor forward(Tensor observation, Tensor action)
    {
        using var scope = NewDisposeScope();
        // [s, a] by copying into the two column ranges of one tensor (autograd flows through copy_): TorchSharp's cat
        // (and .shape) leave a finalizable pinned array per call, which made garbage collections long.
        var x = empty(observation.size(0), _observationSize + _actionSize);
        x.narrow(1, 0, _observationSize).copy_(observation);
        x.narrow(1, _observationSize, _actionSize).copy_(action);
        foreach (var layer in _hidden)
            x = nn.functional.relu(layer.forward(x));
        return _out.forward(x).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in _hidden) layer.Dispose();
            _out.Dispose();
        }
        base.Dispose(disposing);
    }
}
