using System.Device.Gpio;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Gpio;
using RoboDdpg.Hardware.Tests.Support;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Hardware.Tests.QuadratureEncoder;

/// <summary>The emulated encoder lines: the Gray sequence, edge order, bursts and the injected faults.</summary>
public sealed class EmulatedQuadratureEncoderTests : IDisposable
{
    private const int A = 17, B = 27, Cpr = 2048;
    private static readonly double RadiansPerCount = 2 * Math.PI / Cpr;
    private readonly FakeClock _clock = new();
    private readonly EmulatedGpioDriver _gpio = new();
    private readonly GpioController _controller;
    private readonly List<(int Pin, PinEventTypes Edge, PinValue OtherLine)> _edges = [];

    public EmulatedQuadratureEncoderTests()
    {
        _controller = new GpioController(_gpio);
    }

    public void Dispose() => _controller.Dispose();

    private EmulatedQuadratureEncoder Attach(double countsFromZero)
    {
        // No gravity: the arm stays wherever it is put.
        var plant = Plants.Create(_clock, (countsFromZero + 0.5) * RadiansPerCount, new MotorPendulumParameters { Gravity = 0 });
        var encoder = _gpio.AttachEncoder(plant, A, B, Cpr);
        foreach (var (pin, other) in new[] { (A, B), (B, A) })
        {
            _controller.OpenPin(pin, PinMode.Input);
            _controller.RegisterCallbackForPinValueChangedEvent(
                pin, PinEventTypes.Rising | PinEventTypes.Falling, (_, e) => _edges.Add((pin, e.ChangeType, _gpio.LevelOf(other))));
        }
        Plant = plant;
        return encoder;
    }

    private RoboDdpg.Emulation.Plants.MotorPendulumPlant Plant { get; set; } = null!;

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(1, true, false)]
    [InlineData(2, true, true)]
    [InlineData(3, false, true)]
    [InlineData(-1, false, true)]
    public void Power_on_levels_follow_the_phase_of_the_absolute_count(int count, bool a, bool b)
    {
        var encoder = Attach(count);
        Assert.Equal(0, encoder.Count);
        Assert.Equal(a ? PinValue.High : PinValue.Low, _gpio.LevelOf(A));
        Assert.Equal(b ? PinValue.High : PinValue.Low, _gpio.LevelOf(B));
    }

    [Fact]
    public void Forward_rotation_emits_a_leading_b_one_edge_per_count_in_order()
    {
        var encoder = Attach(0);
        Plant.SetState(4.5 * RadiansPerCount, 0);
        _gpio.Pump();
        Assert.Equal(4, encoder.Count);
        Assert.Equal(
            [
                (A, PinEventTypes.Rising, PinValue.Low),
                (B, PinEventTypes.Rising, PinValue.High),
                (A, PinEventTypes.Falling, PinValue.High),
                (B, PinEventTypes.Falling, PinValue.Low),
            ],
            _edges);
        Plant.SetState(2.5 * RadiansPerCount, 0); // back two counts: B rises again, then A
        _gpio.Pump();
        Assert.Equal(2, encoder.Count);
        Assert.Equal([(B, PinEventTypes.Rising, PinValue.Low), (A, PinEventTypes.Rising, PinValue.High)], _edges[4..]);
    }

    [Fact]
    public void Missed_edges_change_the_lines_silently()
    {
        var encoder = Attach(0);
        encoder.MissNextEdges(1);
        Plant.SetState(2.5 * RadiansPerCount, 0);
        _gpio.Pump();
        Assert.Equal([(B, PinEventTypes.Rising, PinValue.High)], _edges);
        Assert.Equal((1, 1), (encoder.EdgesMissed, encoder.EdgesEmitted));
    }

    [Fact]
    public void An_illegal_transition_changes_both_lines_before_reporting_either()
    {
        var encoder = Attach(0);
        encoder.InjectIllegalTransition();
        Plant.SetState(3.5 * RadiansPerCount, 0);
        _gpio.Pump();
        Assert.Equal(
            [
                (A, PinEventTypes.Rising, PinValue.High),
                (B, PinEventTypes.Rising, PinValue.High),
                (A, PinEventTypes.Falling, PinValue.High),
            ],
            _edges);
        Assert.Equal(1, encoder.IllegalTransitionsInjected);
    }

    [Fact]
    public void A_stuck_encoder_stops_following_then_catches_up_in_a_burst()
    {
        var encoder = Attach(0);
        encoder.Stuck = true;
        Plant.SetState(10.5 * RadiansPerCount, 0);
        _gpio.Pump();
        Assert.Empty(_edges);
        encoder.Stuck = false;
        _gpio.Pump();
        Assert.Equal(10, _edges.Count);
        Assert.Equal(10, encoder.Count);
    }
}
