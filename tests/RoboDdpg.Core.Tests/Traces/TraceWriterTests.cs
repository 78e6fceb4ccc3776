using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Traces;

namespace RoboDdpg.Core.Tests.Traces;

public sealed class TraceWriterTests : IDisposable
{
    private static readonly TraceSchema Schema = new(["th0", "thdot0"], ["action"], ["cos", "sin", "thdot"]);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string PathOf(string name) => Path.Combine(_temp.Path, name);

    [Fact]
    public void Rows_hold_case_step_start_state_action_outputs_and_reward_in_round_trip_text()
    {
        var path = PathOf("t.csv");
        using (var writer = new TraceWriter(path, Schema))
        {
            writer.BeginCase([0.5, -1.25]);
            writer.WriteStep([0.1f], [1.0, 0.0, 2.5], -3.0);
            writer.WriteStep([-1f], [0.1 + 0.2, 1e-300, -0.0], 7.25);
            writer.BeginCase([Math.PI, 0]);
            writer.WriteStep([2.5e-8f], [-1, 1, 12345678.875], -0.001);
            Assert.Equal(2, writer.Cases);
            Assert.Equal(3, writer.Steps);
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(
        [
            "case,step,th0,thdot0,action,cos,sin,thdot,reward",
            "0,0,0.5,-1.25,0.1,1,0,2.5,-3",
            "0,1,0.5,-1.25,-1,0.30000000000000004,1E-300,-0,7.25",
            "1,0,3.141592653589793,0,2.5E-08,-1,1,12345678.875,-0.001",
        ], lines);
    }

    [Fact]
    public void The_trace_appears_only_when_complete_and_no_temporary_file_is_left()
    {
        var path = PathOf("atomic.csv");
        var writer = new TraceWriter(path, Schema);
        writer.BeginCase([0, 0]);
        writer.WriteStep([0f], [1, 0, 0], 0);
        writer.Flush();
        Assert.False(File.Exists(path)); // a reader never sees a half-written trace
        Assert.Single(Directory.GetFiles(_temp.Path));

        writer.Dispose(); // a stop (Ctrl+C, exception) keeps what was recorded
        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Single(Directory.GetFiles(_temp.Path));
        Assert.True(writer.IsCompleted);
        writer.Complete(); // idempotent
        Assert.Throws<InvalidOperationException>(() => writer.WriteStep([0f], [1, 0, 0], 0));
    }

    [Fact]
    public void Completing_replaces_an_existing_file()
    {
        var path = PathOf("old.csv");
        File.WriteAllText(path, "old content\n");
        using (var writer = new TraceWriter(path, Schema)) writer.BeginCase([1, 2]);
        Assert.Equal(["case,step,th0,thdot0,action,cos,sin,thdot,reward"], File.ReadAllLines(path));
    }

    [Fact]
    public void Misuse_is_refused()
    {
        using var writer = new TraceWriter(PathOf("m.csv"), Schema);
        Assert.Throws<InvalidOperationException>(() => writer.WriteStep([0f], [1, 0, 0], 0)); // no case begun
        Assert.Throws<ArgumentException>(() => writer.BeginCase([1.0]));
        writer.BeginCase([1, 2]);
        Assert.Throws<ArgumentException>(() => writer.WriteStep([0f, 1f], [1, 0, 0], 0));
        Assert.Throws<ArgumentException>(() => writer.WriteStep([0f], [1, 0], 0));
        Assert.Throws<ArgumentException>(() => new TraceWriter(PathOf("c.csv"), new TraceSchema(["a,b"], ["u"], ["y"])));
        Assert.Throws<DirectoryNotFoundException>(() => new TraceWriter(PathOf("missing/t.csv"), Schema));
    }

    [Fact]
    public void Writing_a_step_allocates_nothing()
    {
        using var writer = new TraceWriter(PathOf("alloc.csv"), Schema);
        float[] action = [0.123f];
        double[] state = [1.0 / 3, -2.0 / 7];
        double[] outputs = [Math.Cos(1), Math.Sin(1), -13.0 / 17];
        for (var i = 0; i < 5000; i++) Step(i); // warm up: JIT, buffers, first flushes
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20_000; i++) Step(i); // several 64 KiB buffer flushes included
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Step(int i)
        {
            if (i % 200 == 0) writer.BeginCase(state);
            outputs[2] = i * 0.001;
            writer.WriteStep(action, outputs, -i * 0.5);
        }
    }

    /// <summary>A 1-D plant: x' = x + u, output (x, 2x, 3x), reward −x; reset puts x at the seed.</summary>
    private sealed class LinePlant() : EnvironmentBase(new EnvironmentSpec("line",
        new BoxSpec(["x"], [-100f], [100f]), new BoxSpec(["u"], [-1f], [1f]), [0f], 0.1, 100)), ITraceRecordable
    {
        private double _x;

        public TraceSchema TraceSchema { get; } = new(["x0"], ["u"], ["x", "x2", "x3"]);

        public void WriteTraceState(Span<double> state) => state[0] = _x;

        public void WriteTraceOutputs(Span<double> outputs)
        {
            outputs[0] = _x;
            outputs[1] = 2 * _x;
            outputs[2] = 3 * _x;
        }

        protected override void OnReset(ulong? seed, Span<float> observation) => observation[0] = (float)(_x = seed ?? 0);

        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
        {
            _x += Math.Clamp(action[0], -1f, 1f);
            observation[0] = (float)_x;
            return new StepResult(-_x, false, false);
        }
    }

    [Fact]
    public void The_recording_environment_writes_each_episode_as_a_case_and_passes_everything_through()
    {
        var path = PathOf("rec.csv");
        var plant = new LinePlant();
        using (var writer = new TraceWriter(path, plant.TraceSchema))
        {
            var recording = new TraceRecordingEnvironment(plant, writer);
            Assert.Same(plant.Spec, recording.Spec);
            recording.Start();
            Assert.Equal(LifecycleState.Active, plant.State);
            var observation = new float[1];
            recording.Reset(5, observation);
            Assert.Equal(5f, observation[0]);
            var result = recording.Step([0.5f], observation);
            Assert.Equal(-5.5, result.Reward);
            Assert.Equal(5.5f, observation[0]);
            recording.Step([3f], observation); // clipped by the plant; the trace keeps what was asked, as replay clips again
            recording.Reset(2, observation);
            recording.Step([-0.25f], observation);
            recording.Deactivate();
            Assert.Equal(LifecycleState.Inactive, plant.State);
        }

        Assert.Equal(
        [
            "case,step,x0,u,x,x2,x3,reward",
            "0,0,5,0.5,5.5,11,16.5,-5.5",
            "0,1,5,3,6.5,13,19.5,-6.5",
            "1,0,2,-0.25,1.75,3.5,5.25,-1.75",
        ], File.ReadAllLines(path));
    }

    /// <summary>A real-time 1-D plant: Write sets u, the next Read applies x += u; readings can be made stale.</summary>
    private sealed class RealtimeLine() : EnvironmentBase(new EnvironmentSpec("rt-line",
        new BoxSpec(["x"], [-100f], [100f]), new BoxSpec(["u"], [-1f], [1f]), [0f], 0.1, 100)), ITraceRecordable, IRealtimePlant
    {
        private double _x;
        private double _u;

        public bool Stale { get; set; }

        public TraceSchema TraceSchema { get; } = new(["x0"], ["u"], ["x"]);

        public void WriteTraceState(Span<double> state) => state[0] = _x;

        public void WriteTraceOutputs(Span<double> outputs) => outputs[0] = _x;

        public void Write(ReadOnlySpan<float> action) => _u = action[0];

        public PlantReading Read(Span<float> observation)
        {
            _x += _u;
            observation[0] = (float)_x;
            return new PlantReading(new StepResult(-_x, false, false), Fresh: !Stale, Fault: null);
        }

        protected override void OnReset(ulong? seed, Span<float> observation) { } // a real plant is not teleported

        protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
        {
            Write(action);
            return Read(observation).Step;
        }
    }

    [Fact]
    public void A_real_time_plant_is_recorded_from_write_and_fresh_read_pairs_and_stale_readings_end_the_case()
    {
        var path = PathOf("rt.csv");
        var plant = new RealtimeLine();
        using (var writer = new TraceWriter(path, plant.TraceSchema))
        {
            var recording = TraceRecordingEnvironment.For(plant, writer);
            var realtime = Assert.IsType<TraceRecordingPlant>(recording); // stays real-time for the control loop
            realtime.Start();
            var observation = new float[1];
            realtime.Write([1f]);                  // before the episode: not recorded
            realtime.Reset(null, observation);
            realtime.Read(observation);            // x = 1: the case begins here, from the state now
            realtime.Write([0.5f]);
            realtime.Read(observation);            // x = 1.5: row
            realtime.Write([0.25f]);
            realtime.Read(observation);            // x = 1.75: row
            plant.Stale = true;
            realtime.Write([1f]);
            realtime.Read(observation);            // x = 2.75 but stale: the case ends, no row
            plant.Stale = false;
            realtime.Write([-1f]);
            realtime.Read(observation);            // x = 1.75: a new case begins
            realtime.Write([-0.5f]);
            realtime.Read(observation);            // x = 1.25: row
            Assert.Equal(2, writer.Cases);
        }

        Assert.Equal(
        [
            "case,step,x0,u,x,reward",
            "0,0,1,0.5,1.5,-1.5",
            "0,1,1,0.25,1.75,-1.75",
            "1,0,1.75,-0.5,1.25,-1.25",
        ], File.ReadAllLines(path));
    }

    [Fact]
    public void The_recording_environment_needs_a_writer_with_the_plants_columns()
    {
        var plant = new LinePlant();
        using var writer = new TraceWriter(PathOf("w.csv"), Schema);
        Assert.Throws<ArgumentException>(() => new TraceRecordingEnvironment(plant, writer));
        Assert.Throws<ArgumentException>(() => new TraceRecordingPlant(new RealtimeLine(), writer));
        Assert.Throws<ArgumentException>(() => new TraceRecordingPlant(plant, writer)); // not a real-time plant
        using var lineWriter = new TraceWriter(PathOf("w2.csv"), plant.TraceSchema);
        Assert.IsType<TraceRecordingEnvironment>(TraceRecordingEnvironment.For(plant, lineWriter));
    }
}
