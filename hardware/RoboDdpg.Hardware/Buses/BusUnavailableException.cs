namespace RoboDdpg.Hardware.Buses;

/// <summary>A bus or port named by the robot description does not exist on this machine.</summary>
public sealed class BusUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
