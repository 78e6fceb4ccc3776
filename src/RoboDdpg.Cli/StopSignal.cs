using System.Runtime.InteropServices;

namespace RoboDdpg.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM (systemd, kill) request a graceful stop instead of killing the process: the command
/// finishes its current step, stops and joins the learner (ending the process inside a TorchSharp call crashes it),
/// writes the safe action and saves what it has.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    public StopSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    public CancellationToken Token => _source.Token;

    public bool Requested => _source.IsCancellationRequested;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // keep the process alive; the command winds down by itself
        _source.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }
}
