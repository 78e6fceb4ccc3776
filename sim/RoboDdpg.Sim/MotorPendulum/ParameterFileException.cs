namespace RoboDdpg.Sim.MotorPendulum;

/// <summary>A parameter file that cannot be used: missing, not JSON, an unknown field, or an invalid value.</summary>
public sealed class ParameterFileException(string path, string problem, Exception? inner = null)
    : ConfigFileException(path, problem, inner);
