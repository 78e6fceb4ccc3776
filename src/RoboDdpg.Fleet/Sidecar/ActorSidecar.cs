using System.Buffers;
using System.Text;

namespace RoboDdpg.Fleet.Sidecar;

/// <summary>
/// The actor's MQTT sidecar, run in its own process by <see cref="SidecarUplink"/> (the CLI's hidden
/// <c>actor-link</c> command): a <see cref="DirectUplink"/> over the <see cref="TransitionRing"/> in the shared
/// memory, which posts every received policy snapshot into the snapshot mailbox unverified (the loop process
/// verifies it), publishes the status the loop process posts, and keeps the delivery figures in shared memory.
/// Each time it posts something for the loop process it rings a doorbell (one byte on its standard output), so the
/// loop process's pump thread sleeps in a read instead of polling. It stops when its standard input closes (the loop process exited or let go of it), first sending or spooling what
/// the ring still holds, so a crash of the loop process loses no recorded transition.
/// </summary>
public static class ActorSidecar
{
    /// <summary>How often the figures in shared memory are refreshed and the stop request and status mailbox are looked at.</summary>
    public static readonly TimeSpan RelayInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Runs until <paramref name="closed"/> (standard input at its end); returns the exit code.</summary>
    /// <param name="doorbell">Tells the loop process to look at the shared memory (any thread; null: it polls).</param>
    public static int Run(ActorSidecarConfig config, Action<string> log, CancellationToken closed, Action? doorbell = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        var ring = doorbell ?? (() => { });
        using var memory = ActorSharedMemory.Open(config.SharedMemory);
        var broker = config.Broker();
        var tooLarge = 0L;
        using var uplink = new DirectUplink(broker, config.Settings(), memory.Ring, (in ReadOnlySequence<byte> message) =>
        {
            if (memory.Snapshots.Post(message))
            {
                ring();
                return;
            }
            if (Interlocked.Increment(ref tooLarge) == 1)
                log($"a policy snapshot of {message.Length} bytes does not fit the shared mailbox ({memory.SnapshotCapacity} bytes); refused");
        }, log);
        uplink.Start();
        uplink.StartSending();
        memory.State = SidecarState.Running;
        var relay = new Relay(memory, uplink, ring);
        ring();
        var drained = false;
        while (true)
        {
            relay.Update();
            if (closed.IsCancellationRequested) break;
            if (!drained && memory.StopRequest > 0)
            {
                uplink.StopSending(TimeSpan.FromMilliseconds(memory.StopRequest - 1));
                relay.Update();
                memory.State = SidecarState.Drained;
                ring();
                drained = true;
            }
            closed.WaitHandle.WaitOne(RelayInterval);
        }
        if (!drained) uplink.StopSending(TimeSpan.Zero); // the loop process is gone: spool what the ring holds
        relay.Update();
        return 0;
    }

    /// <summary>Copies figures into shared memory and publishes posted status messages.</summary>
    private sealed class Relay(ActorSharedMemory memory, DirectUplink uplink, Action ring)
    {
        private string? _error;
        private string? _fault;
        private byte[] _status = [];

        public void Update()
        {
            var s = uplink.Sending;
            memory.SetCounter(SidecarCounter.Connected, uplink.IsConnected ? 1 : 0);
            memory.SetCounter(SidecarCounter.Connects, uplink.Connects);
            memory.SetCounter(SidecarCounter.ConnectionLosses, uplink.ConnectionLosses);
            memory.SetCounter(SidecarCounter.Epoch, (long)s.Epoch);
            memory.SetCounter(SidecarCounter.NextSequence, (long)s.NextSequence);
            memory.SetCounter(SidecarCounter.Batches, s.Batches);
            memory.SetCounter(SidecarCounter.Published, s.Published);
            memory.SetCounter(SidecarCounter.Spooled, s.Spooled);
            memory.SetCounter(SidecarCounter.Resent, s.Resent);
            memory.SetCounter(SidecarCounter.SpoolPending, s.SpoolPending);
            memory.SetCounter(SidecarCounter.SpoolDropped, s.SpoolDropped);
            memory.SetCounter(SidecarCounter.DeliveryFailures, s.DeliveryFailures);
            memory.SetCounter(SidecarCounter.Unacknowledged, s.Unacknowledged);
            memory.SetCounter(SidecarCounter.Requeued, s.Requeued);
            if (uplink.LastError != _error)
            {
                _error = uplink.LastError;
                memory.LastError.Post(Encoding.UTF8.GetBytes(_error ?? ""));
                ring();
            }
            if (uplink.SenderFault != _fault)
            {
                _fault = uplink.SenderFault;
                memory.SenderFault.Post(Encoding.UTF8.GetBytes(_fault ?? ""));
                ring();
            }
            // Against the shared count, so a restarted sidecar does not publish a status its predecessor already did.
            if (memory.Status.Posted != memory.StatusHandled && memory.Status.TryTake(ref _status, out var length))
            {
                memory.StatusDelivered = uplink.PublishStatus(new ArraySegment<byte>(_status, 0, length));
                memory.StatusHandled = memory.Status.LastTaken;
            }
        }
    }
}
