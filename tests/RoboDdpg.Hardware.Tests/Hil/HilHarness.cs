using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;
using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Robot;
using RoboDdpg.Hil;

namespace RoboDdpg.Hardware.Tests.Hil;

/// <summary>What the loop did on one tick, as seen at the plant interface.</summary>
internal readonly record struct TickRecord(int Tick, bool Fresh, float[] Observation, float[] Written);

/// <summary>
/// The real control loop over a described robot on emulated buses, with a log of every tick at the plant interface and
/// hooks that fire at given ticks (fault injection at a known tick, so "safe within N ticks" is exact).
/// </summary>
internal sealed class HilHarness : IRealtimePlant
{
    private readonly HardwareEnvironment _inner;
    private readonly Dictionary<int, Action> _hooks = [];
    private readonly List<TickRecord> _log = [];
    private int _tick;
    private bool _lastFresh = true;
    private float[] _lastObservation = [];

    /// <param name="descriptionJson">The description's text (tests may edit it); null reads <paramref name="descriptionPath"/>.</param>
    /// <param name="descriptionPath">Where the description lives (relative files such as the twin parameters resolve from there).</param>
    public HilHarness(string descriptionPath, string? descriptionJson = null, Func<RobotDescription, RobotDescription>? adjust = null)
    {
        var description = RobotDescriptionLoader.Parse(descriptionJson ?? File.ReadAllText(descriptionPath), descriptionPath);
        if (adjust is not null) description = adjust(description);
        Session = RobotSession.Open(description, emulate: true);
        _inner = Session.Environment;
    }

    public RobotSession Session { get; }
    public EmulatedRobot Emulation => Session.Emulation!;
    public HardwareEnvironment Robot => _inner;
    public IReadOnlyList<TickRecord> Log => _log;
    public ControlLoop? Control { get; private set; }
    public ReplayBuffer? Replay { get; private set; }

    /// <summary>Runs <paramref name="action"/> at the start of tick <paramref name="tick"/> (1-based), before the read.</summary>
    public void At(int tick, Action action) => _hooks[tick] = action;

    /// <summary>Runs the real-time loop for <paramref name="ticks"/> ticks with a constant-output policy u = bound·tanh(bias).</summary>
    public void Run(int ticks, float bias, int watchdogTicks = 3, double rateHz = 100)
    {
        this.Start();
        var spec = Spec;
        var layer = new DenseLayer(spec.ObservationSize, 1, new float[spec.ObservationSize], [bias]);
        var policy = new MlpPolicy([layer], [.. spec.Action.Low], [.. spec.Action.High]);
        Replay = new ReplayBuffer(100_000, spec.ObservationSize, spec.ActionSize);
        var exchange = new PolicySnapshotExchange(policy, policy.Clone);
        Control = new ControlLoop(this, exchange, null, new SafetyLayer(spec, new SafetyOptions { WatchdogTicks = watchdogTicks }), Replay,
            new ControlLoopOptions { Seed = 7 });
        using var loop = new RealtimeLoop(Control, new RealtimeLoopOptions { RateHz = rateHz, WarmupTicks = 0 });
        loop.RunTicks(ticks);
    }

    /// <summary>Ticks t ≥ 2 whose reading and the previous one were both fresh: exactly the transitions the loop must record.</summary>
    public int RecordableTransitions()
    {
        var count = 0;
        for (var i = 1; i < _log.Count; i++)
        {
            if (_log[i].Fresh && _log[i - 1].Fresh) count++;
        }
        return count;
    }

    /// <summary>
    /// The tick from which every written action up to the end of the run was the safe action, looking from
    /// <paramref name="from"/> on; −1 if the last tick was not safe. (Earlier safe ticks, e.g. from a slow reading on a
    /// loaded machine, do not count: what matters is that the safe action comes and holds.)
    /// </summary>
    public int SafeFromTick(int from)
    {
        var safe = Spec.SafeAction.ToArray();
        var start = -1;
        foreach (var record in _log)
        {
            if (record.Tick < from) continue;
            var isSafe = record.Written.AsSpan().SequenceEqual(safe);
            if (!isSafe) start = -1;
            else if (start < 0) start = record.Tick;
        }
        return start;
    }

    public void Dispose() => Session.Dispose();

    // ---- IRealtimePlant: delegate and log ----

    public EnvironmentSpec Spec => _inner.Spec;
    public LifecycleState State => _inner.State;
    public void Configure() => _inner.Configure();
    public void Activate() => _inner.Activate();
    public void Deactivate() => _inner.Deactivate();

    public void Reset(ulong? seed, Span<float> observation)
    {
        BeginTick();
        _inner.Reset(seed, observation);
        _lastFresh = true;
        _lastObservation = observation.ToArray();
    }

    public StepResult Step(ReadOnlySpan<float> action, Span<float> observation) => _inner.Step(action, observation);

    public PlantReading Read(Span<float> observation)
    {
        BeginTick();
        var reading = _inner.Read(observation);
        _lastFresh = reading.Fresh;
        _lastObservation = observation.ToArray();
        return reading;
    }

    public void Write(ReadOnlySpan<float> action)
    {
        _inner.Write(action);
        _log.Add(new TickRecord(_tick, _lastFresh, _lastObservation, action.ToArray()));
    }

    private void BeginTick()
    {
        _tick++;
        if (_hooks.Remove(_tick, out var hook)) hook();
    }

    void IDisposable.Dispose() => Dispose();
}
