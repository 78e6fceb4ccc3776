using TorchSharp;

namespace RoboDdpg.Learning.Tests;

public sealed class TorchSharpRuntimeTests
{
    [Fact]
    public void Backward_of_sum_of_three_x_squared_gives_six_x()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1f, -2f, 0.5f, 3f }, requires_grad: true);
        var y = (x * x * 3f).sum();
        y.backward();
        Assert.Equal(new float[] { 6f, -12f, 3f, 18f }, x.grad!.data<float>().ToArray());
    }
}
