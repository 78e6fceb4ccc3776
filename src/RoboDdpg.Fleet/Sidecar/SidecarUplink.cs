using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace RoboDdpg.Fleet.Sidecar;

/// <summary>How to start the sidecar process: a program and its arguments (the CLI's hidden <c>actor-link</c> command).</summary>
public sealed record SidecarLauncher(string FileName, IReadOnlyList<string> Arguments);

/// <summary>
/// The loop process's side of an actor whose MQTT client runs in a sidecar process (<see cref="ActorSidecar"/>).
/// Transitions go through the shared <see cref="TransitionRing"/>; a pump thread, woken by the sidecar's doorbell (a
/// byte on its standard output), takes raw policy snapshots from the shared mailbox and hands them to the handler
/// (the <see cref="PolicyReceiver"/>, which verifies them here); status messages and figures pass through shared memory. Nothing on this side allocates per message, so the loop process
/// does not collect garbage while it acts. A sidecar that dies is restarted (after 1 s, then up to 10 s apart); the
/// ring keeps what the loop records meanwhile.
/// </summary>
public sealed class SidecarUplink : IRobotUplink
{
    private readonly ActorSharedMemory _memory;
    private readonly SidecarLauncher _launcher;
    private readonly string _configLine;
    private readonly Action<ReadOnlySpan<byte>> _onSnapshot;
    private readonly Action<string>? _log;
    private readonly Thread _pump;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _stopPump = new(false);
    private volatile bool _disposing;
    private Process? _process;
    private byte[] _snapshot = [];
    private byte[] _text = [];
    private string? _lastError;
    private string? _senderFault;
    private long _restarts;

    /// <param name="memory">The shared memory, its ring written by the loop; owned by the caller, disposed after this.</param>
    /// <param name="onSnapshot">Receives each raw policy snapshot message, on the pump thread.</param>
    public SidecarUplink(ActorSharedMemory memory, SidecarLauncher launcher, BrokerOptions broker, UplinkSettings settings,
        Action<ReadOnlySpan<byte>> onSnapshot, Action<string>? log = null)
    {
        _memory = memory ?? throw new ArgumentNullException(nameof(memory));
        _launcher = launcher ?? throw new ArgumentNullException(nameof(launcher));
        _onSnapshot = onSnapshot ?? throw new ArgumentNullException(nameof(onSnapshot));
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(settings);
        FleetTopics.ValidateName(settings.RobotId, "robot id");
        settings.Publisher.Validate();
        _configLine = ActorSidecarConfig.From(memory.Path, broker, settings).ToJsonLine();
        _log = log;
        _pump = new Thread(Pump) { Name = "roboddpg-sidecar-pump", IsBackground = true };
    }

    public string Kind => "sidecar";

    /// <summary>The sidecar's process id (0 when none runs).</summary>
    public int ProcessId
    {
        get { lock (_gate) return _process is { HasExited: false } p ? p.Id : 0; }
    }

    /// <summary>Times the sidecar was restarted after it died.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    public bool IsConnected => _memory.State != SidecarState.Starting && _memory.Counter(SidecarCounter.Connected) != 0 && ProcessId != 0;
    public long Connects => _memory.Counter(SidecarCounter.Connects);
    public long ConnectionLosses => _memory.Counter(SidecarCounter.ConnectionLosses);
    public string? LastError => Volatile.Read(ref _lastError);
    public string? SenderFault => Volatile.Read(ref _senderFault);

    public PublisherStatus Sending => new((ulong)_memory.Counter(SidecarCounter.Epoch), (ulong)_memory.Counter(SidecarCounter.NextSequence),
        _memory.Counter(SidecarCounter.Batches), _memory.Counter(SidecarCounter.Published), _memory.Counter(SidecarCounter.Spooled),
        _memory.Counter(SidecarCounter.Resent), (int)_memory.Counter(SidecarCounter.SpoolPending), _memory.Counter(SidecarCounter.SpoolDropped),
        _memory.Counter(SidecarCounter.DeliveryFailures), (int)_memory.Counter(SidecarCounter.Unacknowledged), _memory.Counter(SidecarCounter.Requeued));

    /// <summary>Starts the sidecar; a launcher that cannot run is a <see cref="Win32Exception"/> (the caller may fall back to a <see cref="DirectUplink"/>).</summary>
    public void Start()
    {
        lock (_gate) _process = Launch();
        _pump.Start();
    }

    // The sidecar sends from the start: the ring is empty until the loop runs.
    public void StartSending()
    {
    }

    public void StopSending(TimeSpan drain)
    {
        _memory.StopRequest = (long)drain.TotalMilliseconds + 1;
        // Delivering what the ring holds can take a publish timeout per batch when the broker just went away.
        var deadline = Stopwatch.GetTimestamp() + (long)((drain.TotalSeconds + 30) * Stopwatch.Frequency);
        while (_memory.State != SidecarState.Drained && Stopwatch.GetTimestamp() < deadline) Thread.Sleep(2);
        if (_memory.State != SidecarState.Drained)
            _log?.Invoke($"the MQTT sidecar did not finish sending within {drain.TotalSeconds + 30:0} s; what it did not spool stays in shared memory and is lost");
    }

    public bool PublishStatus(ArraySegment<byte> json)
    {
        if (ProcessId == 0 || !_memory.Status.Post(json)) return false;
        var number = _memory.Status.Posted;
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (_memory.StatusHandled < number && Stopwatch.GetTimestamp() < deadline && ProcessId != 0) Thread.Sleep(1);
        return _memory.StatusHandled >= number && _memory.StatusDelivered;
    }

    // The loop process never collects for messaging, so there is nothing to schedule.
    public bool CollectionDue() => false;

    private Process Launch()
    {
        var info = new ProcessStartInfo(_launcher.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true, // the doorbell
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _launcher.Arguments) info.ArgumentList.Add(argument);
        _memory.State = SidecarState.Starting;
        var process = Process.Start(info) ?? throw new Win32Exception($"cannot start {_launcher.FileName}");
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data)) _log?.Invoke($"sidecar: {e.Data}");
        };
        process.BeginErrorReadLine();
        // The configuration (with the broker password) goes through the pipe; the pipe stays open: its end tells the sidecar to stop.
        process.StandardInput.WriteLine(_configLine);
        process.StandardInput.Flush();
        return process;
    }

    // Sleeps in a read of the sidecar's doorbell (its standard output) until it posts something, then takes it; the
    // end of that stream means the sidecar exited, and it is started again.
    private void Pump()
    {
        var restartDelay = TimeSpan.FromSeconds(1);
        var bell = new byte[64];
        while (true)
        {
            Process process;
            lock (_gate) process = _process!;
            int read;
            try
            {
                read = process.StandardOutput.BaseStream.Read(bell);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                read = 0;
            }
            TakePosted();
            if (read > 0) continue;
            if (_disposing) return;
            process.WaitForExit();
            var exitCode = process.ExitCode;
            _log?.Invoke($"the MQTT sidecar (pid {process.Id}) exited with code {exitCode}; restarting it in {restartDelay.TotalSeconds:0} s (the loop keeps acting, the ring keeps its transitions)");
            Volatile.Write(ref _senderFault, $"MQTT sidecar exited with code {exitCode}");
            if (_stopPump.Wait(restartDelay)) return;
            restartDelay = TimeSpan.FromSeconds(Math.Min(restartDelay.TotalSeconds * 2, 10));
            lock (_gate)
            {
                if (_disposing) return;
                try
                {
                    _process = Launch();
                    process.Dispose();
                    Interlocked.Increment(ref _restarts);
                    Volatile.Write(ref _senderFault, null);
                }
                catch (Exception e) when (e is Win32Exception or IOException)
                {
                    _log?.Invoke($"cannot restart the MQTT sidecar: {e.Message}");
                }
            }
        }
    }

    private void TakePosted()
    {
        // A snapshot the sidecar is rewriting while it is copied is taken again a moment later.
        while (_memory.Snapshots.Posted != _memory.Snapshots.LastTaken && !_disposing)
        {
            if (_memory.Snapshots.TryTake(ref _snapshot, out var length)) _onSnapshot(_snapshot.AsSpan(0, length));
            else Thread.Sleep(1);
        }
        if (_memory.LastError.TryTake(ref _text, out var n))
            Volatile.Write(ref _lastError, n == 0 ? null : Encoding.UTF8.GetString(_text, 0, n));
        if (_memory.SenderFault.TryTake(ref _text, out n))
            Volatile.Write(ref _senderFault, n == 0 ? null : Encoding.UTF8.GetString(_text, 0, n));
    }

    /// <summary>Closes the sidecar's input (it sends or spools what the ring still holds and exits) and waits for it.</summary>
    public void Dispose()
    {
        if (_disposing) return;
        _disposing = true;
        _stopPump.Set();
        Process? process;
        lock (_gate) process = _process;
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.StandardInput.Close();
                    if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
                    {
                        _log?.Invoke($"the MQTT sidecar (pid {process.Id}) did not exit; killing it");
                        process.Kill();
                    }
                }
                process.WaitForExit();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or Win32Exception)
            {
                // Already gone.
            }
        }
        if (_pump.IsAlive) _pump.Join(); // the doorbell's end wakes it
        process?.Dispose();
        _stopPump.Dispose();
    }
}
