namespace RoboDdpg.Hardware.Tests.Hil;

/// <summary>Hardware-in-the-loop tests run one at a time: each paces a real-time loop and emulated devices on wall-clock time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HilCollection
{
    public const string Name = "HIL";
}
