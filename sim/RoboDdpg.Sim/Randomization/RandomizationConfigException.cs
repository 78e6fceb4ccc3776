namespace RoboDdpg.Sim.Randomization;

/// <summary>
/// A randomization config that cannot be used: missing file, bad JSON, unknown parameter, bad range, or a range
/// whose samples would be invalid plant parameters.
/// </summary>
public sealed class RandomizationConfigException(string path, string problem, Exception? inner = null)
    : ConfigFileException(path, problem, inner);
