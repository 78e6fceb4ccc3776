namespace RoboDdpg.Hardware.Description;

/// <summary>Reads and validates robot description files (JSON with comments).</summary>
public static class RobotDescriptionLoader
{
    /// <summary>Reads and validates a description file.</summary>
    /// <exception cref="RobotDescriptionException">Anything wrong, with file and line.</exception>
    public static RobotDescription Load(string path) => throw new NotImplementedException("being written");

    /// <summary>Parses and validates description JSON; <paramref name="path"/> names its origin in errors.</summary>
    /// <exception cref="RobotDescriptionException">Anything wrong, with file and line.</exception>
    public static RobotDescription Parse(string text, string path) => throw new NotImplementedException("being written");
}
