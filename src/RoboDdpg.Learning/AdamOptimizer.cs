using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace RoboDdpg.Learning;

/// <summary>
/// Adam (β = 0.9, 0.999, ε = 1e-8, no weight decay) with the update rule of torch.optim.Adam, written so that a step
/// leaves nothing for the finalizer. TorchSharp's own Adam converts doubles to finalizable Scalars on every step
/// (about 7 per parameter); thousands of them per second turned every collection into a 20–60 ms blocking gen-1 GC
/// that also stopped the control loop. Here the constants are Scalars made once, the two per-step values are disposed
/// at once, and gradients are cleared by dropping them (set-to-none, PyTorch's default).
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private readonly double _learningRate;
    private readonly Scalar _beta1 = Beta1.ToScalar(), _oneMinusBeta1 = (1 - Beta1).ToScalar();
    private readonly Scalar _beta2 = Beta2.ToScalar(), _oneMinusBeta2 = (1 - Beta2).ToScalar();
    private readonly Scalar _epsilon = Epsilon.ToScalar(), _one = 1.0.ToScalar();

    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate)
    {
        _parameters = [.. parameters];
        _learningRate = learningRate;
        using var noGrad = no_grad();
        _m = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _v = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Steps taken (the bias-correction exponent).</summary>
    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad = null;
    }

    public void Step()
    {
        Steps++;
        var correction1 = 1 - Math.Pow(Beta1, Steps);
        var correction2 = 1 - Math.Pow(Beta2, Steps);
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var negativeStep = (-_learningRate / correction1).ToScalar();
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            using var g = _parameters[i].grad;
            if (g is null) continue;
            _m[i].mul_(_beta1).add_(g, _oneMinusBeta1);                // m ← β1·m + (1−β1)·g
            _v[i].mul_(_beta2).addcmul_(g, g, _oneMinusBeta2);         // v ← β2·v + (1−β2)·g²
            using var denominator = _v[i].sqrt();
            denominator.div_(sqrtCorrection2).add_(_epsilon, _one);    // √(v / (1−β2ᵗ)) + ε
            _parameters[i].addcdiv_(_m[i], denominator, negativeStep); // p ← p − lr/(1−β1ᵗ) · m / denominator
        }
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(Steps);
        writer.Write(_parameters.Length);
        for (var i = 0; i < _parameters.Length; i++)
        {
            WriteTensor(writer, _m[i]);
            WriteTensor(writer, _v[i]);
        }
    }

    public void Load(BinaryReader reader)
    {
        var steps = reader.ReadInt64();
        var count = reader.ReadInt32();
        if (steps < 0 || count != _parameters.Length)
            throw new InvalidDataException($"optimizer state holds {count} parameters, the network has {_parameters.Length}");
        for (var i = 0; i < count; i++)
        {
            ReadTensor(reader, _m[i]);
            ReadTensor(reader, _v[i]);
        }
        Steps = steps;
    }

    private static void WriteTensor(BinaryWriter writer, Tensor tensor)
    {
        var bytes = tensor.bytes;
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static void ReadTensor(BinaryReader reader, Tensor tensor)
    {
        var length = reader.ReadInt32();
        var destination = tensor.bytes;
        if (length != destination.Length) throw new InvalidDataException($"optimizer moment has {length} bytes, expected {destination.Length}");
        reader.BaseStream.ReadExactly(destination);
    }

    public void Dispose()
    {
        foreach (var t in _m) t.Dispose();
        foreach (var t in _v) t.Dispose();
        _beta1.Dispose();
        _oneMinusBeta1.Dispose();
        _beta2.Dispose();
        _oneMinusBeta2.Dispose();
        _epsilon.Dispose();
        _one.Dispose();
    }
}
