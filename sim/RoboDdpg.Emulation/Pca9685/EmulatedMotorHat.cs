using RoboDdpg.Emulation.HBridge;
using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.Pca9685;

/// <summary>
/// The board wiring of an Adafruit-style DC motor HAT for one motor terminal: three PCA9685 channels drive one half of
/// a TB6612FNG (PWMx, xIN1, xIN2), whose output turns the plant's motor. Listens to the chip's outputs and commands
/// the plant whenever the bridge state changes.
/// </summary>
/// <remarks>
/// The motor is wired so that the HAT's "forward" (IN1 high, IN2 low) swings the arm towards +θ (counter-clockwise).
/// A PCA9685 channel used as a logic input counts as high when its duty is ≥ ½ (in practice those channels are
/// full-on or full-off). Bridge semantics: <see cref="Tb6612Bridge"/>.
/// </remarks>
public sealed class EmulatedMotorHat : IDisposable
{
    // (PWM, IN1, IN2) PCA9685 channels of terminals M1..M4 on the Adafruit DC & Stepper Motor HAT.
    private static readonly (int Pwm, int In1, int In2)[] Terminals = [(8, 9, 10), (13, 12, 11), (2, 3, 4), (7, 6, 5)];

    private readonly EmulatedPca9685 _chip;
    private readonly MotorPendulumPlant _plant;
    private readonly object _gate = new();
    private readonly Action _onOutputs;
    private BridgeOutput _output = BridgeOutput.Coast;

    public EmulatedMotorHat(EmulatedPca9685 chip, int motor, MotorPendulumPlant plant)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(plant);
        ArgumentOutOfRangeException.ThrowIfLessThan(motor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(motor, 4);
        _chip = chip;
        _plant = plant;
        Motor = motor;
        (PwmChannel, In1Channel, In2Channel) = Terminals[motor - 1];
        // The plant starts from whatever the chip outputs now (all channels full-off at power-on: coast).
        _output = Current();
        _output.ApplyTo(plant);
        _onOutputs = Update;
        chip.OutputsChanged += _onOutputs;
    }

    /// <summary>Motor terminal M1..M4.</summary>
    public int Motor { get; }

    /// <summary>PCA9685 channel driving the TB6612 PWM input of this terminal.</summary>
    public int PwmChannel { get; }

    /// <summary>PCA9685 channel driving IN1.</summary>
    public int In1Channel { get; }

    /// <summary>PCA9685 channel driving IN2.</summary>
    public int In2Channel { get; }

    /// <summary>What the bridge does now (the last state sent to the plant).</summary>
    public BridgeOutput Output
    {
        get
        {
            lock (_gate) return _output;
        }
    }

    public void Dispose() => _chip.OutputsChanged -= _onOutputs;

    private BridgeOutput Current() => Tb6612Bridge.Output(
        _chip.ChannelDuty(In1Channel) >= 0.5, _chip.ChannelDuty(In2Channel) >= 0.5, _chip.ChannelDuty(PwmChannel));

    private void Update()
    {
        var next = Current();
        lock (_gate)
        {
            if (next == _output) return;
            _output = next;
            next.ApplyTo(_plant);
        }
    }
}
