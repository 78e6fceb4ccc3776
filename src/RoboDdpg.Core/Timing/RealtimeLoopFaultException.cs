namespace RoboDdpg.Core.Timing;

/// <summary>
/// The loop's handler threw; the loop has stopped (and the handler's <c>OnStop</c> ran when it was started).
/// <see cref="Exception.InnerException"/> is the handler's exception; the message is one line.
/// </summary>
public sealed class RealtimeLoopFaultException(string message, Exception inner) : Exception(message, inner);
