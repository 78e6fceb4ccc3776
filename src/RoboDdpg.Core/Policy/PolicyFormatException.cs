namespace RoboDdpg.Core.Policy;

/// <summary>A policy file that cannot be used; the message names the file and the problem in one line.</summary>
public sealed class PolicyFormatException(string message, Exception? inner = null) : Exception(message, inner);
