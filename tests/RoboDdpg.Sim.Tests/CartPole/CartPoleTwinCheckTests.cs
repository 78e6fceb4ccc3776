using System.Globalization;
using System.Text;
using System.Text.Json;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.CartPole;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Tests.CartPole;

/// <summary>twin-check of the cart-pole: a trace recorded from one plant replays exactly on it and not on another.</summary>
public sealed class CartPoleTwinCheckTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_trace_recorded_on_the_twin_replays_to_rounding()
    {
        var path = Record(new CartPoleParameters(), cases: 4, steps: 150);
        using var twin = new BeltCartPoleEnvironment();
        var result = TwinCheck.Check(path, twin);
        Assert.Equal(4, result.Cases);
        Assert.Equal(600, result.Steps);
        Assert.Equal(["x", "xdot", "cos", "sin", "phidot"], result.OutputColumns);
        Assert.True(result.MaxAbsError <= 1e-12, result.ToJson());
        Assert.True(result.IsWithin(TwinCheck.DefaultTolerance));
    }

    [Fact]
    public void A_trace_of_a_different_plant_fails_with_errors_per_column()
    {
        // A 10% longer pole swings 5% slower: after 1.5 s of swinging the angle differs by far more than 1e-5.
        var path = Record(new CartPoleParameters { PoleLength = 0.55 }, cases: 2, steps: 150);
        using var twin = new BeltCartPoleEnvironment();
        var result = TwinCheck.Check(path, twin);
        Assert.False(result.IsWithin(TwinCheck.DefaultTolerance));
        Assert.True(result.MaxAbsErrors[2] > 1e-3, result.ToJson()); // cos φ
        Assert.True(result.MaxAbsErrors[4] > 1e-2, result.ToJson()); // φ̇

        using var json = JsonDocument.Parse(result.ToJson());
        var names = json.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["cases", "steps", "max_abs_error", "x", "xdot", "cos", "sin", "phidot", "reward"], names);
        Assert.Equal(result.MaxAbsError, json.RootElement.GetProperty("max_abs_error").GetDouble());
    }

    [Fact]
    public void A_pendulum_trace_lacks_the_cart_columns()
    {
        using var twin = new BeltCartPoleEnvironment();
        var ex = Assert.Throws<TraceFormatException>(() => TwinCheck.Check(ReferenceTrace.Path, twin));
        Assert.Contains("missing column 'x0'", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs the twin from random start states with random duties and writes what it did as a trace.</summary>
    private string Record(CartPoleParameters parameters, int cases, int steps)
    {
        using var env = new BeltCartPoleEnvironment(parameters, seed: 5).Start();
        var rng = new Xoshiro256(9);
        var text = new StringBuilder("case,step,x0,xdot0,phi0,phidot0,i0,action,x,xdot,cos,sin,phidot,reward\n");
        var obs = new float[5];
        var outputs = new double[5];
        for (var c = 0; c < cases; c++)
        {
            double[] start = [rng.NextUniform(-0.1, 0.1), rng.NextUniform(-0.2, 0.2), rng.NextUniform(-Math.PI, Math.PI), rng.NextUniform(-1, 1), 0];
            env.SetState(start[0], start[1], start[2], start[3], start[4]);
            for (var k = 0; k < steps; k++)
            {
                // Small duties keep the cart off the stops; the pole swings freely.
                var duty = (float)rng.NextUniform(-0.3, 0.3);
                var reward = env.Step([duty], obs).Reward;
                env.WriteExactObservation(outputs);
                text.Append(CultureInfo.InvariantCulture, $"{c},{k},{string.Join(',', start.Select(R))},{duty.ToString("R", CultureInfo.InvariantCulture)},{string.Join(',', outputs.Select(R))},{R(reward)}\n");
            }
        }
        return _temp.Write($"trace-{Guid.NewGuid():N}.csv", text.ToString());

        static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }
}
