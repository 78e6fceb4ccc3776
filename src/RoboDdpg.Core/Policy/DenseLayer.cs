namespace RoboDdpg.Core.Policy;

/// <summary>
/// One fully connected layer y = W·x + b, with W stored row-major as [Outputs × Inputs]
/// (the layout of a torch Linear weight, so copying out of TorchSharp is a flat copy).
/// </summary>
public sealed record DenseLayer
{
    public DenseLayer(int inputs, int outputs, float[] weights, float[] bias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        if (weights.Length != inputs * outputs)
            throw new ArgumentException($"layer {inputs}→{outputs} needs {inputs * outputs} weights, got {weights.Length}");
        if (bias.Length != outputs)
            throw new ArgumentException($"layer {inputs}→{outputs} needs {outputs} biases, got {bias.Length}");
        Inputs = inputs;
        Outputs = outputs;
        Weights = weights;
        Bias = bias;
    }

    public int Inputs { get; }
    public int Outputs { get; }
    public float[] Weights { get; }
    public float[] Bias { get; }
}
