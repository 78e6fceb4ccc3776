using System.Globalization;
using RoboDdpg.Core.IO;

namespace RoboDdpg.Fleet;

/// <summary>
/// Bounded on-disk FIFO of messages that could not be delivered (broker or network down): one file per message,
/// named by a increasing index, written atomically, deleted once the broker has acknowledged the resend. It survives
/// a restart of the actor process (leftover files are sent first). When the bound is exceeded the oldest messages
/// are deleted and counted in <see cref="DroppedMessages"/>: the learner then sees a gap in the sequence numbers.
/// Used by one thread (the sender).
/// </summary>
public sealed class DiskSpool
{
    private const string Extension = ".msg";
    private readonly Queue<(string Path, long Bytes)> _files = new();
    private long _nextIndex;
    private long _bytes;

    public DiskSpool(string directory, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        Directory = Path.GetFullPath(directory);
        MaxBytes = maxBytes;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            foreach (var stale in System.IO.Directory.EnumerateFiles(Directory, ".*.tmp")) File.Delete(stale);
            var existing = System.IO.Directory.EnumerateFiles(Directory, "*" + Extension)
                .Select(p => (Path: p, Index: long.TryParse(Path.GetFileNameWithoutExtension(p), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1))
                .Where(f => f.Index >= 0)
                .OrderBy(f => f.Index)
                .ToList();
            foreach (var (path, index) in existing)
            {
                var length = new FileInfo(path).Length;
                _files.Enqueue((path, length));
                _bytes += length;
                _nextIndex = index + 1;
            }
            Recovered = existing.Count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FleetConfigException($"{directory}: spool folder is not usable ({e.Message})");
        }
    }

    public string Directory { get; }
    public long MaxBytes { get; }
    public int Count => _files.Count;
    public long Bytes => _bytes;

    /// <summary>Messages found on disk when the spool was opened (left by an earlier run).</summary>
    public int Recovered { get; }

    /// <summary>Messages ever written to the spool.</summary>
    public long Spooled { get; private set; }

    /// <summary>Oldest messages deleted unsent because the spool was full.</summary>
    public long DroppedMessages { get; private set; }

    public void Append(ReadOnlySpan<byte> message)
    {
        var path = Path.Combine(Directory, _nextIndex.ToString("D15", CultureInfo.InvariantCulture) + Extension);
        var copy = message.ToArray();
        AtomicFile.Write(path, s => s.Write(copy));
        _nextIndex++;
        _files.Enqueue((path, copy.Length));
        _bytes += copy.Length;
        Spooled++;
        while (_bytes > MaxBytes && _files.Count > 1)
        {
            RemoveOldest();
            DroppedMessages++;
        }
    }

    /// <summary>The oldest message, or null when the spool is empty.</summary>
    public byte[]? PeekOldest()
    {
        while (_files.TryPeek(out var oldest))
        {
            try
            {
                return File.ReadAllBytes(oldest.Path);
            }
            catch (FileNotFoundException)
            {
                _files.Dequeue(); // deleted behind our back: nothing to send
                _bytes -= oldest.Bytes;
            }
        }
        return null;
    }

    /// <summary>Deletes the oldest message (after the broker acknowledged it).</summary>
    public void RemoveOldest()
    {
        var (path, bytes) = _files.Dequeue();
        _bytes -= bytes;
        try { File.Delete(path); } catch (IOException) { }
    }
}
