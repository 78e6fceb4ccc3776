using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.HBridge;

/// <summary>State of one H-bridge output.</summary>
public enum BridgeDrive
{
    /// <summary>Outputs high impedance: no current, the motor free-wheels (the plant gets zero torque).</summary>
    Coast,

    /// <summary>Terminals shorted: the back-EMF brakes the motor (the plant gets duty 0).</summary>
    Brake,

    /// <summary>Driven at <see cref="BridgeOutput.Duty"/>.</summary>
    Drive,
}

/// <summary>An H-bridge output: what it does and the signed duty in [−1, 1] (0 unless driving).</summary>
public readonly record struct BridgeOutput(BridgeDrive Drive, double Duty)
{
    public static BridgeOutput Coast { get; } = new(BridgeDrive.Coast, 0);

    /// <summary>Sends this output to the plant: a duty, or zero torque for a coasting (open-circuit) motor.</summary>
    public void ApplyTo(MotorPendulumPlant plant)
    {
        if (Drive == BridgeDrive.Coast) plant.SetTorque(0);
        else plant.SetDuty(Duty);
    }
}

/// <summary>
/// The TB6612FNG truth table (one channel): IN1=H, IN2=L → forward at the PWM duty; IN1=L, IN2=H → reverse;
/// PWM low with a direction set, or IN1=IN2=H → short brake; IN1=IN2=L → stop (high impedance, the motor coasts).
/// The PWM is averaged: drive/brake switching becomes the terminal voltage duty · V_supply, as the plant models it.
/// </summary>
public static class Tb6612Bridge
{
    /// <summary>The output for the given input levels and PWM duty in [0, 1]; "forward" is positive.</summary>
    public static BridgeOutput Output(bool in1, bool in2, double pwmDuty) => (in1, in2) switch
    {
        (true, false) => pwmDuty > 0 ? new BridgeOutput(BridgeDrive.Drive, pwmDuty) : new BridgeOutput(BridgeDrive.Brake, 0),
        (false, true) => pwmDuty > 0 ? new BridgeOutput(BridgeDrive.Drive, -pwmDuty) : new BridgeOutput(BridgeDrive.Brake, 0),
        (true, true) => new BridgeOutput(BridgeDrive.Brake, 0),
        _ => BridgeOutput.Coast,
    };
}
