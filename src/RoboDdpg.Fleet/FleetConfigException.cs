namespace RoboDdpg.Fleet;

/// <summary>A fleet setting that cannot be used (key file, broker address, robot id, TLS file); one-line message naming what and where.</summary>
public sealed class FleetConfigException(string message, Exception? inner = null) : Exception(message, inner);
