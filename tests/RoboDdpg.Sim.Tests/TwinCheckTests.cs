using System.Text.Json;
using RoboDdpg.Core.Environments;
using RoboDdpg.Sim.Pendulum;
using RoboDdpg.Sim.Traces;
using Xunit.Abstractions;

namespace RoboDdpg.Sim.Tests;

public sealed class TwinCheckTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Reference_trace_matches_within_1e_5()
    {
        var report = TwinCheck.Run(ReferenceTrace.Path);
        output.WriteLine(report.ToJson());

        Assert.Equal(16, report.Cases);
        Assert.Equal(3200, report.Steps);
        Assert.True(report.MaxAbsError <= 1e-5, report.ToJson());
        Assert.True(report.IsWithin(TwinCheck.DefaultTolerance));
        Assert.Equal(report.MaxAbsError, new[] { report.MaxAbsErrorCos, report.MaxAbsErrorSin, report.MaxAbsErrorThetaDot, report.MaxAbsErrorReward }.Max());
    }

    [Fact]
    public void Reference_trace_is_reproduced_to_rounding()
    {
        // float64 throughout reproduces the recording; anything above a few ulps means the arithmetic changed.
        var report = TwinCheck.Run(ReferenceTrace.Path);
        Assert.True(report.MaxAbsError <= 1e-12, report.ToJson());
    }

    [Fact]
    public void Report_serializes_as_one_json_object_with_the_documented_keys()
    {
        var report = new TwinCheckReport(2, 400, 1e-7, 2e-7, 3e-6, 4e-8);

        var json = report.ToJson();

        Assert.DoesNotContain('\n', json);
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["cases", "steps", "max_abs_error", "cos", "sin", "thdot", "reward"], names);
        Assert.Equal(2, doc.RootElement.GetProperty("cases").GetInt32());
        Assert.Equal(400, doc.RootElement.GetProperty("steps").GetInt32());
        Assert.Equal(3e-6, doc.RootElement.GetProperty("max_abs_error").GetDouble());
        Assert.Equal(1e-7, doc.RootElement.GetProperty("cos").GetDouble());
        Assert.Equal(2e-7, doc.RootElement.GetProperty("sin").GetDouble());
        Assert.Equal(3e-6, doc.RootElement.GetProperty("thdot").GetDouble());
        Assert.Equal(4e-8, doc.RootElement.GetProperty("reward").GetDouble());
    }

    [Fact]
    public void NaN_error_fails_the_tolerance_and_still_serializes()
    {
        var report = new TwinCheckReport(1, 1, double.NaN, 0, 0, 0);
        Assert.False(report.IsWithin(1.0));
        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.Equal("NaN", doc.RootElement.GetProperty("max_abs_error").GetString());
    }

    [Fact]
    public void Detects_a_wrong_twin()
    {
        // The same trace replayed with g = 9.81 must fail: proves the check actually compares something.
        var trace = TraceReader.Read(ReferenceTrace.Path, PendulumEnvironment.Schema);
        using var twin = new PendulumEnvironment(gravity: 9.81, seed: 0);
        var result = TwinCheck.Replay(twin, trace);
        Assert.True(result.MaxAbsError > 1e-3, $"max error {result.MaxAbsError}");
    }

    [Fact]
    public void Columns_are_found_by_name_in_any_order_and_steps_in_any_order()
    {
        // Record a short trace from the twin itself, write it with shuffled columns, rows and an extra column.
        using var recorder = new PendulumEnvironment(seed: 9);
        recorder.Start();
        var obs = new float[3];
        var exact = new double[3];
        float[] actions = [0.5f, -3f, 1.25f];
        var rows = new List<string>();
        recorder.SetState(2.0, -0.5);
        for (var step = 0; step < actions.Length; step++)
        {
            var r = recorder.Step([actions[step]], obs);
            recorder.WriteExactObservation(exact);
            rows.Add(FormattableString.Invariant(
                $"{exact[2]:R},{actions[step]:R},x,{r.Reward:R},{exact[1]:R},{step},{exact[0]:R},-0.5,7,2"));
        }
        rows.Reverse();
        var path = _temp.Write("shuffled.csv", "thdot,action,note,reward,sin,step,cos,thdot0,case,th0\n" + string.Join("\n", rows) + "\n");

        var report = TwinCheck.Run(path);

        Assert.Equal(1, report.Cases);
        Assert.Equal(3, report.Steps);
        Assert.Equal(0.0, report.MaxAbsError);
    }

    [Fact]
    public void Reader_keeps_actions_as_exact_float32_and_state_as_float64()
    {
        var trace = TraceReader.Read(ReferenceTrace.Path, PendulumEnvironment.Schema);
        var first = trace.Cases[0];
        Assert.Equal(0, first.Id);
        Assert.Equal([-2.2973572091724623, 0.6948674738744653], first.InitialState);
        Assert.Equal(1.582647681236267f, first.Steps[0].Action[0]);
        Assert.Equal(1.582647681236267, (double)first.Steps[0].Action[0]);
        Assert.Equal([-0.6502986746889163, -0.7596786384372269, 0.37166705044323867], first.Steps[0].Outputs);
        Assert.Equal(-5.3286390008444755, first.Steps[0].Reward);
        Assert.Equal(2, first.Steps[0].Line);
        Assert.Equal(200, first.Steps.Count);
        Assert.Equal(3200, trace.StepCount);
    }
}
