using System.Diagnostics;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Timing;
using RoboDdpg.Core.Traces;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Robot;

/// <summary>
/// A described robot behind the environment interface: the same observation/action contract as the twins, built from
/// real drivers. Lifecycle as ros2_control: <see cref="IEnvironment.Configure"/> builds and probes every device,
/// <see cref="IEnvironment.Activate"/> starts the I/O threads and writes the safe action, <see cref="IEnvironment.Deactivate"/>
/// writes the safe action and stops every device. Per tick the control loop calls <see cref="Read"/> then
/// <see cref="Write"/> (<see cref="IRealtimePlant"/>).
/// </summary>
/// <remarks>
/// Faults: each device's I/O runs through its Polly pipeline (in-tick retries, circuit breaker). A failed read leaves
/// the last good value in place and ages it; an observation entry older than its <c>max_age_ticks</c> makes the
/// reading stale, and so does an actuator whose last write failed; the safety layer's watchdog turns stale readings
/// into the safe action after its configured ticks. A device
/// with no successful exchange for <see cref="FaultPolicy.GiveUpAfterSeconds"/> is reported as a fault: the loop then
/// engages the emergency stop (safe action, learning halted) and the run ends with a report.
/// </remarks>
public sealed class HardwareEnvironment : EnvironmentBase, IRealtimePlant, ITraceRecordable
{
    private readonly RobotDescription _description;
    private readonly IBusProvider _buses;
    private readonly IMonotonicClock _clock;
    private readonly Func<DeviceDescription, IBusProvider, IRobotDevice> _createDevice;
    private readonly List<DevicePort> _ports = [];
    private readonly LatencyHistogram _readTime = new();
    private readonly LatencyHistogram _writeTime = new();
    // Port null: the entry observes the previous value of the action entry at index Channel.
    private (DevicePort? Port, int Channel, ObservationEntry Entry)[] _observation = [];
    private (DevicePort Port, int Channel, ActionEntry Entry)[] _action = [];
    private (DevicePort? Port, int Index, RewardTerm Term)[] _reward = [];
    private (DevicePort Port, int Channel, TerminationCondition Condition)[] _termination = [];
    private double[] _rewardValues = [];    // each term's x at the previous read
    private readonly float[] _lastAction;
    private readonly float[] _lastObservation;
    private (DevicePort? Port, int Channel, double Offset)[] _traceState = [];
    private int[] _traceOutputs = [];
    private long _tick;
    private int _elapsedSteps;
    private long _staleReadings;
    private string? _fault;

    /// <param name="createDevice">Builds a driver for a device entry; defaults to <see cref="DeviceCatalog"/>.</param>
    public HardwareEnvironment(RobotDescription description, IBusProvider buses, IMonotonicClock? clock = null,
        Func<DeviceDescription, IBusProvider, IRobotDevice>? createDevice = null)
        : base(CreateSpec(description))
    {
        _description = description;
        _buses = buses ?? throw new ArgumentNullException(nameof(buses));
        _clock = clock ?? new MonotonicClock();
        _createDevice = createDevice ?? ((d, b) => DeviceCatalog.Types[d.Type].Create(d, b));
        _lastAction = [.. description.SafeAction];
        _lastObservation = new float[description.Observation.Count];
        TraceSchema = description.Trace is { } trace
            ? new TraceSchema([.. trace.State.Select(c => c.Column)], trace.ActionColumns, [.. trace.Outputs.Select(o => o.Column)])
            : new TraceSchema([], [.. description.Action.Select(a => a.Name)], [.. description.Observation.Select(o => o.Name)]);
    }

    /// <summary>
    /// The trace columns of the description's <c>trace</c> section (a twin's CSV shape, so twin-check and fit read a
    /// robot's recording); without that section, no state columns and the observation entries as outputs.
    /// </summary>
    public TraceSchema TraceSchema { get; }

    /// <summary>The trace state from the latest readings: each column's signal plus offset, or its constant.</summary>
    public void WriteTraceState(Span<double> state)
    {
        for (var i = 0; i < _traceState.Length; i++)
        {
            var (port, channel, offset) = _traceState[i];
            state[i] = (port is null ? 0 : port.Readings[channel]) + offset;
        }
    }

    /// <summary>The trace outputs: the observation entries they name, as last read.</summary>
    public void WriteTraceOutputs(Span<double> outputs)
    {
        for (var i = 0; i < _traceOutputs.Length; i++) outputs[i] = _lastObservation[_traceOutputs[i]];
    }

    public RobotDescription Description => _description;

    /// <summary>Fault figures per device.</summary>
    public IReadOnlyList<DeviceHealth> Health => [.. _ports.Select(p => p.Health)];

    /// <summary>Time spent in <see cref="Read"/> per tick (all inline devices' I/O plus copying threaded results).</summary>
    public LatencyHistogram ReadTime => _readTime;

    /// <summary>Time spent in <see cref="Write"/> per tick.</summary>
    public LatencyHistogram WriteTime => _writeTime;

    /// <summary>Readings that were not fresh.</summary>
    public long StaleReadings => Interlocked.Read(ref _staleReadings);

    /// <summary>The fault that ended the run, or null.</summary>
    public string? Fault => Volatile.Read(ref _fault);

    protected override void OnConfigure()
    {
        try
        {
            foreach (var device in _description.Devices)
            {
                IRobotDevice driver;
                try
                {
                    driver = _createDevice(device, _buses);
                }
                catch (BusUnavailableException e)
                {
                    throw new DeviceException(device.Name, $"{e.Message} ({device.Location})", e);
                }
                try
                {
                    driver.Open();
                }
                catch (Exception e) when (e is not DeviceException)
                {
                    driver.Dispose();
                    throw new DeviceException(device.Name, $"does not answer: {e.Message} ({device.Location})", e);
                }
                catch
                {
                    driver.Dispose();
                    throw;
                }
                _ports.Add(new DevicePort(driver, _description.Faults, _clock));
            }
            Resolve();
        }
        catch
        {
            foreach (var port in _ports) port.Dispose();
            _ports.Clear();
            throw;
        }
    }

    protected override void OnActivate()
    {
        foreach (var port in _ports) port.StartIoThread();
        _tick = 0;
        WriteCommands(_description.SafeAction.ToArray());
    }

    protected override void OnDeactivate()
    {
        foreach (var port in _ports) port.StopIoThread();
        // The safe action through the normal mapping, then each device's own rest state as a second line of defence.
        MapAction(_description.SafeAction.ToArray());
        foreach (var port in _ports)
        {
            if (port.HasOutputs) port.WriteDirect(port.Commands);
        }
        foreach (var port in _ports) port.Device.Stop();
    }

    protected override void OnDispose()
    {
        foreach (var port in _ports) port.Dispose();
        _ports.Clear();
    }

    protected override void OnReset(ulong? seed, Span<float> observation)
    {
        // A robot is not teleported: the new episode starts where the arm is (see IRealtimePlant).
        PollAll();
        FillObservation(observation);
        for (var i = 0; i < _reward.Length; i++) _rewardValues[i] = TermValue(i);
        _elapsedSteps = 0;
    }

    /// <summary>Not for the real-time loop (it waits a control period): write, wait, read — for evaluation scripts.</summary>
    protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
    {
        Write(action);
        Thread.Sleep(TimeSpan.FromSeconds(_description.ControlPeriodSeconds));
        return Read(observation).Step;
    }

    public PlantReading Read(Span<float> observation)
    {
        RequireActive(observation.Length, Spec.ObservationSize);
        var start = Stopwatch.GetTimestamp();
        var tick = ++_tick;
        PollAll();
        var fresh = true;
        foreach (var (port, _, entry) in _observation)
        {
            if (port is not null && port.AgeTicks(tick) > entry.MaxAgeTicks) fresh = false;
        }
        // An actuator whose last command did not go through is in an unknown state: as unsafe as a blind sensor.
        foreach (var port in _ports)
        {
            if (port.LastWriteFailed) fresh = false;
        }
        if (!fresh) Interlocked.Increment(ref _staleReadings);
        FillObservation(observation);

        // Reward of the transition just completed: the readings its action was chosen from, and that action.
        double reward = 0;
        for (var i = 0; i < _reward.Length; i++)
        {
            var (port, index, term) = _reward[i];
            // Signals as read before the action; the action as written after that read. An angle is wrapped after
            // the target is subtracted, so a target of −π measures the distance to "upright" from either side.
            var d = (port is null ? _lastAction[index] : _rewardValues[i]) - term.Target;
            if (term.WrapAngle) d = WrapAngle(d);
            reward += term.Weight * d * d;
            _rewardValues[i] = TermValue(i);
        }

        var terminated = false;
        foreach (var (port, channel, condition) in _termination)
        {
            var value = port.Readings[channel];
            if (value < condition.Below || value > condition.Above) terminated = true;
        }
        _elapsedSteps++;
        var truncated = _description.MaxEpisodeSteps is { } max && _elapsedSteps >= max;

        var fault = Volatile.Read(ref _fault);
        if (fault is null)
        {
            foreach (var port in _ports)
            {
                if (port.SecondsSinceSuccess > _description.Faults.GiveUpAfterSeconds)
                {
                    // Allocates once, when the run is ending anyway.
                    fault = $"device '{port.Device.Name}' has failed for {port.SecondsSinceSuccess:F1} s (give_up_after_seconds {_description.Faults.GiveUpAfterSeconds}): {port.Health.LastError}";
                    Volatile.Write(ref _fault, fault);
                    break;
                }
            }
        }
        _readTime.Record(ElapsedNanoseconds(start));
        return new PlantReading(new StepResult(reward, terminated, truncated && !terminated), fresh, fault);
    }

    public void Write(ReadOnlySpan<float> action)
    {
        RequireActive(action.Length, Spec.ActionSize);
        var start = Stopwatch.GetTimestamp();
        WriteCommands(action);
        _writeTime.Record(ElapsedNanoseconds(start));
    }

    private void WriteCommands(ReadOnlySpan<float> action)
    {
        action.CopyTo(_lastAction);
        MapAction(action);
        foreach (var port in _ports) port.Push(_tick);
    }

    private void MapAction(ReadOnlySpan<float> action)
    {
        for (var i = 0; i < _action.Length; i++)
        {
            var (port, channel, entry) = _action[i];
            var a = Math.Clamp(action[i], entry.Low, entry.High);
            port.Commands[channel] = Math.Clamp(a * entry.Scale + entry.Offset, entry.CommandMin, entry.CommandMax);
        }
    }

    private void PollAll()
    {
        foreach (var port in _ports) port.Poll(_tick);
    }

    private void FillObservation(Span<float> observation)
    {
        for (var i = 0; i < _observation.Length; i++)
        {
            var (port, channel, entry) = _observation[i];
            var value = (port is null ? _lastAction[channel] : port.Readings[channel]) * entry.Scale + entry.Offset;
            value = entry.Transform switch
            {
                SignalTransform.Cos => Math.Cos(value),
                SignalTransform.Sin => Math.Sin(value),
                _ => value,
            };
            observation[i] = (float)value;
        }
        observation.CopyTo(_lastObservation);
    }

    private double TermValue(int index)
    {
        var (port, channel, term) = _reward[index];
        return port is null ? _lastAction[channel] : port.Readings[channel];
    }

    /// <summary>Wraps to (−π, π], as the twins' angle normalization.</summary>
    private static double WrapAngle(double angle)
    {
        var wrapped = Math.IEEERemainder(angle, 2 * Math.PI);
        return wrapped <= -Math.PI ? wrapped + 2 * Math.PI : wrapped;
    }

    private void Resolve()
    {
        var actionNames = _description.Action.Select(a => a.Name).ToList();
        // An input is a device channel, or (port null) the previous value of the action entry at that index.
        (DevicePort? Port, int Channel) SignalOrAction(SignalRef? signal, string? action, string what, SourceLocation location)
        {
            if (signal is { } s)
            {
                var (p, c) = Input(s, location);
                return (p, c);
            }
            var index = actionNames.IndexOf(action!);
            if (index < 0) throw new DeviceException(action!, $"{what} names an unknown action ({location})");
            return (null, index);
        }
        _observation = [.. _description.Observation.Select(e => SignalOrAction(e.Signal, e.Action, $"observation '{e.Name}'", e.Location) is var (p, c) ? (p, c, e) : default)];
        _action = [.. _description.Action.Select(e => Output(e.Command, e.Location) is var (p, c) ? (p, c, e) : default)];
        _termination = [.. _description.Termination.Select(t => Input(t.Signal, t.Location) is var (p, c) ? (p, c, t) : default)];
        _reward = [.. _description.Reward.Select(t => SignalOrAction(t.Signal, t.Action, "reward term", t.Location) is var (p, c) ? (p, c, t) : default)];
        _rewardValues = new double[_reward.Length];

        var observationNames = _description.Observation.Select(o => o.Name).ToList();
        if (_description.Trace is { } trace)
        {
            _traceState = [.. trace.State.Select(c => c.Signal is { } signal ? Input(signal, trace.Location) is var (p, ch) ? ((DevicePort?)p, ch, c.Offset) : default : ((DevicePort?)null, 0, c.Offset))];
            _traceOutputs = [.. trace.Outputs.Select(o => observationNames.IndexOf(o.Observation))];
        }
        else
        {
            _traceOutputs = [.. Enumerable.Range(0, observationNames.Count)];
        }
    }

    private (DevicePort, int) Input(SignalRef signal, SourceLocation where) => Channel(signal, where, input: true);

    private (DevicePort, int) Output(SignalRef signal, SourceLocation where) => Channel(signal, where, input: false);

    private (DevicePort, int) Channel(SignalRef signal, SourceLocation where, bool input)
    {
        var port = _ports.FirstOrDefault(p => p.Device.Name == signal.Device)
                   ?? throw new DeviceException(signal.Device, $"no such device ({where})");
        var channels = input ? port.Device.Inputs : port.Device.Outputs;
        var index = channels.ToList().IndexOf(signal.Channel);
        if (index < 0)
            throw new DeviceException(signal.Device, $"has no {(input ? "input" : "output")} '{signal.Channel}' (it has: {string.Join(", ", channels)}) ({where})");
        return (port, index);
    }

    private void RequireActive(int length, int expected)
    {
        if (State != LifecycleState.Active)
            throw new InvalidOperationException($"{Spec.Name}: the robot must be active (it is {State})");
        if (length != expected) throw new ArgumentException($"vector has {length} entries, expected {expected}");
    }

    private static long ElapsedNanoseconds(long start) =>
        (long)((Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency));

    private static EnvironmentSpec CreateSpec(RobotDescription d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new EnvironmentSpec(
            d.Name,
            new BoxSpec([.. d.Observation.Select(o => o.Name)], [.. d.Observation.Select(o => o.Low)], [.. d.Observation.Select(o => o.High)]),
            new BoxSpec([.. d.Action.Select(a => a.Name)], [.. d.Action.Select(a => a.Low)], [.. d.Action.Select(a => a.High)]),
            d.SafeAction,
            d.ControlPeriodSeconds,
            d.MaxEpisodeSteps);
    }
}
