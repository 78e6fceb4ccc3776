using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.MotorPendulum;
using RoboDdpg.Sim.Pendulum;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Tests.Traces;

/// <summary>Recording twins with the Core trace writer, reading the file back, and replaying it.</summary>
public sealed class TraceRecordingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed record Row(int Case, int Step, double[] State, float Action, double[] Outputs, double Reward);

    // Latency, noise and short episodes: the recording must capture the exact state, whatever the sensors do.
    private static readonly MotorPendulumParameters Plant = new()
    {
        LatencyTicks = 2, AngleNoiseStd = 0.01, VelocityNoiseStd = 0.2, MaxEpisodeSteps = 60, CoulombFriction = 0.02,
    };

    [Fact]
    public void A_recorded_motor_pendulum_run_reads_back_exactly_and_replays_with_zero_error()
    {
        var path = Path.Combine(_temp.Path, "run.csv");
        var expected = new List<Row>();
        using (var twin = new MotorPendulumEnvironment(Plant, seed: 3))
        using (var writer = new TraceWriter(path, MotorPendulumEnvironment.Schema))
        {
            var recording = new TraceRecordingEnvironment(twin, writer);
            recording.Start();
            var rng = new Xoshiro256(11);
            var observation = new float[3];
            var exact = new double[3];
            for (var episode = 0; episode < 3; episode++)
            {
                recording.Reset(100 + (ulong)episode, observation);
                double[] start = [twin.Theta, twin.ThetaDot, twin.Current];
                var steps = 0;
                while (true)
                {
                    var action = (float)rng.NextUniform(-1.3, 1.3); // beyond the bounds too: the trace keeps what was asked
                    var result = recording.Step([action], observation);
                    twin.WriteExactObservation(exact);
                    expected.Add(new Row(episode, steps++, start, action, (double[])exact.Clone(), result.Reward));
                    if (result.EpisodeEnded) break;
                }
            }
            Assert.Equal(3, writer.Cases);
            Assert.Equal(180, writer.Steps);
        }

        var trace = TraceReader.Read(path, MotorPendulumEnvironment.Schema);
        Assert.Equal(3, trace.Cases.Count);
        var actual = trace.Cases.SelectMany(c => c.Steps.Select(s => new Row(c.Id, s.Step, c.InitialState, s.Action[0], s.Outputs, s.Reward))).ToArray();
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.Equal(expected[i].Case, actual[i].Case);
            Assert.Equal(expected[i].Step, actual[i].Step);
            Assert.Equal(expected[i].State, actual[i].State);
            Assert.Equal(expected[i].Action, actual[i].Action);
            Assert.Equal(expected[i].Outputs, actual[i].Outputs);
            Assert.Equal(expected[i].Reward, actual[i].Reward);
        }

        // The same plant reproduces its recording bit for bit: reset and SetState start episodes identically.
        using var replay = new MotorPendulumEnvironment(Plant, seed: 99);
        var same = TwinCheck.Replay(replay, trace);
        Assert.Equal([0.0, 0.0, 0.0], same.MaxAbsErrors);
        Assert.Equal(0.0, same.MaxAbsErrorReward);

        // Another plant does not.
        using var other = new MotorPendulumEnvironment(Plant with { ArmMass = 0.25 }, seed: 0);
        Assert.True(TwinCheck.Replay(other, trace).MaxAbsErrors[2] > 0.01);
    }

    [Fact]
    public void A_recorded_pendulum_run_passes_twin_check()
    {
        var path = Path.Combine(_temp.Path, "pendulum.csv");
        using (var twin = new PendulumEnvironment(seed: 1))
        using (var writer = new TraceWriter(path, PendulumEnvironment.Schema))
        {
            var recording = new TraceRecordingEnvironment(twin, writer).Start();
            var observation = new float[3];
            recording.Reset(5, observation);
            for (var t = 0; t < 50; t++) recording.Step([MathF.Sin(t * 0.3f) * 2f], observation);
        }
        var report = TwinCheck.Run(path);
        Assert.Equal(1, report.Cases);
        Assert.Equal(50, report.Steps);
        Assert.Equal(0.0, report.MaxAbsError);
    }

    [Fact]
    public void An_excitation_trace_holds_the_four_signals_from_varied_start_states_and_replays_exactly()
    {
        var path = Path.Combine(_temp.Path, "excitation.csv");
        using (var twin = new MotorPendulumEnvironment(Plant, seed: 0))
        using (var writer = new TraceWriter(path, MotorPendulumEnvironment.Schema))
            ExcitationTrace.Record(twin, writer, new ExcitationOptions { Steps = 900, EpisodeSteps = 200, Seed = 4 });

        var trace = TraceReader.Read(path, MotorPendulumEnvironment.Schema);
        Assert.Equal([200, 200, 200, 200, 100], trace.Cases.Select(c => c.Steps.Count));
        foreach (var c in trace.Cases)
        {
            Assert.InRange(c.InitialState[0], -Math.PI, Math.PI);
            Assert.InRange(c.InitialState[1], -3.0, 3.0);
            Assert.Equal(0.0, c.InitialState[2]);
            Assert.All(c.Steps, s => Assert.InRange(s.Action[0], -1f, 1f));
        }
        Assert.Equal(5, trace.Cases.Select(c => c.InitialState[0]).Distinct().Count());

        float[] Duty(int index) => trace.Cases[index].Steps.Select(s => s.Action[0]).ToArray();
        // Case 0, steps: piecewise constant, every level held at least 5 ticks (the last may be cut by the case end).
        var runs = RunLengths(Duty(0));
        Assert.All(runs[..^1], r => Assert.True(r >= 5, $"a step level held {r} ticks"));
        Assert.True(runs.Length >= 5);
        // Case 1, PRBS: one amplitude, both signs.
        var prbs = Duty(1).Distinct().Order().ToArray();
        Assert.Equal(2, prbs.Length);
        Assert.Equal(-prbs[0], prbs[1]);
        Assert.InRange(prbs[1], 0.05f, 0.6f);
        // Case 2, chirp: the frequency rises, so the second half crosses zero more often than the first.
        var chirp = Duty(2);
        Assert.True(Crossings(chirp[100..]) > 2 * Crossings(chirp[..100]), $"{Crossings(chirp[..100])} vs {Crossings(chirp[100..])}");
        // Case 3, small steps: slow motion where gravity and friction dominate.
        Assert.All(Duty(3), d => Assert.InRange(d, -0.15f, 0.15f));

        using var replay = new MotorPendulumEnvironment(Plant, seed: 1);
        Assert.Equal(0.0, TwinCheck.Replay(replay, trace).MaxAbsError);
    }

    [Fact]
    public void Excitation_traces_are_deterministic_per_seed()
    {
        string Record(ulong seed)
        {
            var path = Path.Combine(_temp.Path, $"seed{seed}-{Guid.NewGuid():N}.csv");
            using (var twin = new MotorPendulumEnvironment(seed: 0))
            using (var writer = new TraceWriter(path, MotorPendulumEnvironment.Schema))
                ExcitationTrace.Record(twin, writer, new ExcitationOptions { Steps = 300, EpisodeSteps = 100, Seed = seed });
            return File.ReadAllText(path);
        }
        Assert.Equal(Record(1), Record(1));
        Assert.NotEqual(Record(1), Record(2));
    }

    private static int[] RunLengths(float[] values)
    {
        var runs = new List<int>();
        for (var i = 0; i < values.Length;)
        {
            var j = i;
            while (j < values.Length && values[j] == values[i]) j++;
            runs.Add(j - i);
            i = j;
        }
        return runs.ToArray();
    }

    private static int Crossings(float[] values) => values.Zip(values.Skip(1)).Count(p => Math.Sign(p.First) != Math.Sign(p.Second));
}
