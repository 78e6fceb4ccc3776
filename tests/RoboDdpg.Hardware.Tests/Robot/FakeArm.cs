using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Tests.Robot;

/// <summary>
/// A scripted device for the runtime's own tests: reads (angle, velocity), takes a duty; each write moves the angle by
/// duty·0.1 so transitions are hand-computable. Faults are switched on from the test.
/// </summary>
internal sealed class FakeArm(string name = "arm", bool mayBlock = false) : IRobotDevice
{
    private readonly object _gate = new();
    public double Angle;
    public double Velocity;
    public readonly List<double> Written = [];
    public int FailNextReads;
    public bool FailAllReads;
    public bool ReturnNaN;
    public int ReadDelayMilliseconds;
    public int Reads;
    public int Stops;
    public bool Disposed;

    public string Name { get; } = name;
    public IReadOnlyList<string> Inputs { get; } = ["angle", "velocity"];
    public IReadOnlyList<string> Outputs { get; } = ["duty"];
    public bool MayBlock { get; } = mayBlock;

    public void Open() { }

    public void Read(Span<double> readings)
    {
        if (ReadDelayMilliseconds > 0) Thread.Sleep(ReadDelayMilliseconds);
        lock (_gate)
        {
            Reads++;
            if (FailAllReads) throw new IOException("NACK");
            if (FailNextReads > 0)
            {
                FailNextReads--;
                throw new IOException("NACK");
            }
            readings[0] = ReturnNaN ? double.NaN : Angle;
            readings[1] = Velocity;
        }
    }

    public void Write(ReadOnlySpan<double> commands)
    {
        lock (_gate)
        {
            Written.Add(commands[0]);
            Angle += commands[0] * 0.1;
            Velocity = commands[0];
        }
    }

    public bool Stop()
    {
        Stops++;
        return true;
    }

    public void Dispose() => Disposed = true;

    public static RobotDescription Describe(FaultPolicy? faults = null, int maxAgeTicks = 0, int? maxEpisodeSteps = null)
    {
        var at = new SourceLocation("test.json", 1);
        var arm = new SignalRef("arm", "angle");
        return new RobotDescription(
            Name: "fake-arm",
            SourceFile: "test.json",
            ControlRateHz: 100,
            MaxEpisodeSteps: maxEpisodeSteps,
            Devices: [new DeviceDescription("arm", "fake", new DeviceSettings(new Dictionary<string, object>()), at)],
            Observation:
            [
                new ObservationEntry("cos", arm, SignalTransform.Cos, 1, 0, -1, 1, maxAgeTicks, at),
                new ObservationEntry("sin", arm, SignalTransform.Sin, 1, 0, -1, 1, maxAgeTicks, at),
                new ObservationEntry("vel", new SignalRef("arm", "velocity"), SignalTransform.None, 0.5, 1, -10, 10, maxAgeTicks, at),
            ],
            Action: [new ActionEntry("duty", new SignalRef("arm", "duty"), -1, 1, 2, 0.1, -1.5, 1.5, at)],
            SafeAction: [0f],
            Reward:
            [
                new RewardTerm(arm, null, 0, -1, WrapAngle: true, at),
                new RewardTerm(null, "duty", 0, -0.5, WrapAngle: false, at),
            ],
            Termination: [],
            Faults: faults ?? new FaultPolicy(),
            Emulation: null);
    }
}
