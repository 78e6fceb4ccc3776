using System.IO.MemoryMappedFiles;

namespace RoboDdpg.Fleet.Sidecar;

/// <summary>Figures the sidecar keeps in shared memory for the loop process (see <see cref="ActorSharedMemory.Counter"/>).</summary>
public enum SidecarCounter
{
    Connected, Connects, ConnectionLosses,
    Epoch, NextSequence, Batches, Published, Spooled, Resent, SpoolPending, SpoolDropped, DeliveryFailures, Unacknowledged, Requeued,
}

/// <summary>
/// The memory an actor's loop process shares with its MQTT sidecar process (<see cref="ActorSidecar"/>), a file in
/// /dev/shm mapped by both: the <see cref="TransitionRing"/> the loop writes and the sidecar sends from, a mailbox
/// with the newest raw policy snapshot the sidecar received, a mailbox with the status the loop process wants
/// published, the sidecar's delivery figures and last error, and a few control words. The loop process allocates
/// nothing for messaging, so the MQTT client's garbage (every snapshot is a new buffer of hundreds of KB) is
/// collected in the sidecar and never pauses the control loop.
/// </summary>
public sealed unsafe class ActorSharedMemory : IDisposable
{
    private const ulong Magic = 0x4d48535047444452; // "RDDGPSHM"
    private const int LayoutVersion = 1;
    private const int TextCapacity = 1024;
    private const int Page = 4096;
    private const int RingPositions = 64, SnapshotHeader = 256, StatusHeader = 272, ErrorHeader = 288, FaultHeader = 304;
    private const int StopWord = 320, StateWord = 328, StatusHandledWord = 336, StatusDeliveredWord = 344;
    private const int Counters = 384;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly bool _owner;
    private int _disposed;

    private ActorSharedMemory(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, bool owner)
    {
        Path = path;
        _file = file;
        _view = view;
        _owner = owner;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    public string Path { get; }
    public int RingCapacity => *(int*)(_base + 12);
    public int ObservationSize => *(int*)(_base + 16);
    public int ActionSize => *(int*)(_base + 20);
    public int SnapshotCapacity => *(int*)(_base + 24);
    public int StatusCapacity => *(int*)(_base + 28);

    public TransitionRing Ring { get; private set; } = null!;

    /// <summary>The newest raw policy snapshot message (sidecar → loop process, which verifies it).</summary>
    public SharedMailbox Snapshots { get; private set; } = null!;

    /// <summary>A status JSON to publish on the robot's status topic (loop process → sidecar).</summary>
    public SharedMailbox Status { get; private set; } = null!;

    /// <summary>The sidecar's last broker error, UTF-8 (sidecar → loop process).</summary>
    public SharedMailbox LastError { get; private set; } = null!;

    /// <summary>Why the sidecar's sender stopped, UTF-8 (sidecar → loop process).</summary>
    public SharedMailbox SenderFault { get; private set; } = null!;

    /// <summary>Creates the shared file (mode 0600) in /dev/shm, or the temp folder where there is none, and maps it.</summary>
    public static ActorSharedMemory Create(int ringCapacity, int observationSize, int actionSize, int snapshotCapacity, int statusCapacity = 64 << 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ringCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCapacity, 1);
        var folder = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        RemoveStale(folder);
        var path = System.IO.Path.Combine(folder, $"roboddpg-actor-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var size = Size(ringCapacity, observationSize, actionSize, snapshotCapacity, statusCapacity);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var stream = new FileStream(path, options);
        try
        {
            stream.SetLength(size);
            var file = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var memory = new ActorSharedMemory(path, file, file.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite), owner: true);
            var b = memory._base;
            *(int*)(b + 8) = LayoutVersion;
            *(int*)(b + 12) = ringCapacity;
            *(int*)(b + 16) = observationSize;
            *(int*)(b + 20) = actionSize;
            *(int*)(b + 24) = snapshotCapacity;
            *(int*)(b + 28) = statusCapacity;
            Volatile.Write(ref *(ulong*)b, Magic);
            memory.Attach();
            // Touch every page of the ring now, so the loop thread never takes a page fault writing it.
            var ring = b + Page;
            for (long offset = 0, end = RingBytes(ringCapacity, observationSize, actionSize); offset < end; offset += Page) ring[offset] = 0;
            return memory;
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Maps a file made by <see cref="Create"/> (in the sidecar); a missing or foreign file is a one-line <see cref="FleetConfigException"/>.</summary>
    public static ActorSharedMemory Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FleetConfigException($"{path}: cannot open the actor's shared memory ({e.Message.Split('\n')[0]})");
        }
        try
        {
            var size = stream.Length;
            if (size < Page) throw new FleetConfigException($"{path}: not an actor's shared memory (too short)");
            var file = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var memory = new ActorSharedMemory(path, file, file.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite), owner: false);
            var b = memory._base;
            if (Volatile.Read(ref *(ulong*)b) != Magic || *(int*)(b + 8) != LayoutVersion
                || Size(memory.RingCapacity, memory.ObservationSize, memory.ActionSize, memory.SnapshotCapacity, memory.StatusCapacity) != size)
            {
                memory.Dispose();
                throw new FleetConfigException($"{path}: not an actor's shared memory of this version");
            }
            memory.Attach();
            return memory;
        }
        catch (Exception e) when (e is not FleetConfigException)
        {
            stream.Dispose();
            throw;
        }
    }

    private static long Size(int ringCapacity, int observationSize, int actionSize, int snapshotCapacity, int statusCapacity) =>
        Page + RingBytes(ringCapacity, observationSize, actionSize) + snapshotCapacity + statusCapacity + 2 * TextCapacity;

    // The ring's records, in whole pages (the mailboxes follow on a page boundary).
    private static long RingBytes(int ringCapacity, int observationSize, int actionSize) =>
        (TransitionRing.RecordBytes(ringCapacity, observationSize, actionSize) + Page - 1) / Page * Page;

    private void Attach()
    {
        var b = _base;
        Ring = new TransitionRing(RingCapacity, ObservationSize, ActionSize, this, b + RingPositions, b + Page);
        var data = b + Page + RingBytes(RingCapacity, ObservationSize, ActionSize);
        Snapshots = new SharedMailbox(b + SnapshotHeader, data, SnapshotCapacity);
        data += SnapshotCapacity;
        Status = new SharedMailbox(b + StatusHeader, data, StatusCapacity);
        data += StatusCapacity;
        LastError = new SharedMailbox(b + ErrorHeader, data, TextCapacity);
        SenderFault = new SharedMailbox(b + FaultHeader, data + TextCapacity, TextCapacity);
    }

    public long Counter(SidecarCounter counter) => Volatile.Read(ref *(long*)(_base + Counters + 8 * (int)counter));

    public void SetCounter(SidecarCounter counter, long value) => Volatile.Write(ref *(long*)(_base + Counters + 8 * (int)counter), value);

    /// <summary>Loop process → sidecar: 0 while running; once set, the sidecar sends what the ring holds, waits up to
    /// this many milliseconds (minus one) for the spool to be delivered, and reports <see cref="SidecarState.Drained"/>.</summary>
    public long StopRequest
    {
        get => Volatile.Read(ref *(long*)(_base + StopWord));
        set => Volatile.Write(ref *(long*)(_base + StopWord), value);
    }

    public SidecarState State
    {
        get => (SidecarState)Volatile.Read(ref *(long*)(_base + StateWord));
        set => Volatile.Write(ref *(long*)(_base + StateWord), (long)value);
    }

    /// <summary>Sidecar → loop process: the <see cref="Status"/> post it handled last (its <see cref="SharedMailbox.Posted"/>
    /// count), and whether the broker took it.</summary>
    public long StatusHandled
    {
        get => Volatile.Read(ref *(long*)(_base + StatusHandledWord));
        set => Volatile.Write(ref *(long*)(_base + StatusHandledWord), value);
    }

    public bool StatusDelivered
    {
        get => Volatile.Read(ref *(long*)(_base + StatusDeliveredWord)) != 0;
        set => Volatile.Write(ref *(long*)(_base + StatusDeliveredWord), value ? 1 : 0);
    }

    /// <summary>Unmaps; the creator also deletes the file. Only after the loop and the sidecar stopped using it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        if (_owner)
        {
            try { File.Delete(Path); } catch (IOException) { }
        }
    }

    // Files of actors that died without cleaning up (named after their process id).
    private static void RemoveStale(string folder)
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, "roboddpg-actor-*"))
            {
                var parts = System.IO.Path.GetFileName(file).Split('-');
                if (parts.Length != 4 || !int.TryParse(parts[2], out var pid) || pid == Environment.ProcessId) continue;
                if (!Directory.Exists($"/proc/{pid}") && OperatingSystem.IsLinux()) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Someone else's files, or a race with another actor: leave them.
        }
    }
}

/// <summary>Where the sidecar is in its life (<see cref="ActorSharedMemory.State"/>).</summary>
public enum SidecarState
{
    Starting = 0,
    Running = 1,
    Drained = 2,
}
