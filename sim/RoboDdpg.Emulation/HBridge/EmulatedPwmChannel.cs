using System.Device.Pwm;

namespace RoboDdpg.Emulation.HBridge;

/// <summary>
/// A hardware PWM channel (what <c>/sys/class/pwm/pwmchipN/pwmM</c> gives the real driver): frequency, duty cycle in
/// [0, 1], enable. <see cref="OutputDuty"/> is what the pin does: the duty while enabled, else low.
/// </summary>
/// <remarks>
/// Faults: <see cref="FailWrites"/> makes every change throw <see cref="IOException"/> (a sysfs write error);
/// <see cref="Frozen"/> ignores changes silently (a hung PWM block) — the getters then report what the hardware
/// really outputs, so a driver reading back can notice.
/// </remarks>
public sealed class EmulatedPwmChannel : PwmChannel
{
    private readonly object _gate = new();
    private int _frequency;
    private double _dutyCycle;
    private bool _running;
    private volatile bool _failWrites;
    private volatile bool _frozen;

    /// <param name="chip">PWM chip number (informational).</param>
    /// <param name="channel">Channel on the chip (informational).</param>
    /// <param name="frequencyHz">Initial frequency.</param>
    /// <param name="dutyCycle">Initial duty (the Linux <c>PwmChannel.Create</c> default is 0.5, not started).</param>
    public EmulatedPwmChannel(int chip, int channel, int frequencyHz = 400, double dutyCycle = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(frequencyHz, 0);
        CheckDuty(dutyCycle);
        Chip = chip;
        Channel = channel;
        _frequency = frequencyHz;
        _dutyCycle = dutyCycle;
    }

    public int Chip { get; }

    public int Channel { get; }

    /// <summary>Raised after every accepted change (frequency, duty, enable).</summary>
    public event Action? Changed;

    /// <summary>Fault: every change throws <see cref="IOException"/>.</summary>
    public bool FailWrites
    {
        get => _failWrites;
        set => _failWrites = value;
    }

    /// <summary>Fault: changes are ignored without error.</summary>
    public bool Frozen
    {
        get => _frozen;
        set => _frozen = value;
    }

    /// <summary>True while the channel is enabled.</summary>
    public bool Running
    {
        get
        {
            lock (_gate) return _running;
        }
    }

    /// <summary>Fraction of the period the pin is high: the duty while enabled, else 0.</summary>
    public double OutputDuty
    {
        get
        {
            lock (_gate) return _running ? _dutyCycle : 0;
        }
    }

    public override int Frequency
    {
        get
        {
            lock (_gate) return _frequency;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, 0);
            Change(() => _frequency = value);
        }
    }

    public override double DutyCycle
    {
        get
        {
            lock (_gate) return _dutyCycle;
        }
        set
        {
            CheckDuty(value);
            if (!Accept()) return;
            lock (_gate) _dutyCycle = value;
            Changed?.Invoke();
        }
    }

    public override void Start()
    {
        if (!Accept()) return;
        lock (_gate) _running = true;
        Changed?.Invoke();
    }

    public override void Stop()
    {
        if (!Accept()) return;
        lock (_gate) _running = false;
        Changed?.Invoke();
    }

    private void Change(Action apply)
    {
        if (!Accept()) return;
        lock (_gate) apply();
        Changed?.Invoke();
    }

    private bool Accept()
    {
        if (_failWrites) throw new IOException($"pwmchip{Chip}/pwm{Channel}: write failed (injected fault)");
        return !_frozen;
    }

    private static void CheckDuty(double dutyCycle)
    {
        if (!(dutyCycle >= 0 && dutyCycle <= 1))
            throw new ArgumentOutOfRangeException(nameof(dutyCycle), dutyCycle, "duty cycle must be within [0, 1]");
    }
}
