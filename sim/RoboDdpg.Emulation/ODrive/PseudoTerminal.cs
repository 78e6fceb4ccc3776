using System.Runtime.InteropServices;
using System.Text;

namespace RoboDdpg.Emulation.ODrive;

/// <summary>
/// A Linux pseudo-terminal pair: this object owns the master side, and <see cref="SlavePath"/> (/dev/pts/N) is a tty
/// that <see cref="System.IO.Ports.SerialPort"/> opens like a USB serial adapter. Bytes the slave writes are read here,
/// bytes written here arrive at the slave. The line discipline is put in raw mode (no echo, no CR/LF translation,
/// no line editing), so bytes pass through unchanged, as on a real serial link.
/// </summary>
/// <remarks>
/// The master is non-blocking: <see cref="Read"/> returns 0 when nothing is waiting and <see cref="Write"/> drops what
/// does not fit in the kernel buffer (as a device's transmit FIFO overflows when nobody reads). Closing the master
/// (<see cref="Dispose"/>) hangs up the slave: its reader sees an error, as when a USB cable is pulled.
/// Not thread-safe: one owner thread does all I/O (and the disposal).
/// </remarks>
public sealed unsafe partial class PseudoTerminal : IDisposable
{
    private const int ReadWrite = 0x2;        // O_RDWR
    private const int NoControllingTty = 0x100; // O_NOCTTY (generic Linux value: x86-64, arm, arm64)
    private const int NonBlocking = 0x800;    // O_NONBLOCK
    private const int SetStatusFlags = 4;     // F_SETFL
    private const int SetNow = 0;             // TCSANOW
    private const short PollIn = 0x1;
    private const short PollErr = 0x8;
    private const short PollHangUp = 0x10;
    private const int TryAgain = 11;          // EAGAIN
    private const int Interrupted = 4;        // EINTR
    private const int InputOutputError = 5;   // EIO: the slave side is closed

    private int _master;

    private PseudoTerminal(int master, string slavePath)
    {
        _master = master;
        SlavePath = slavePath;
    }

    /// <summary>The slave tty a serial driver opens, e.g. /dev/pts/3.</summary>
    public string SlavePath { get; }

    /// <summary>False after <see cref="Dispose"/>.</summary>
    public bool IsOpen => _master >= 0;

    /// <summary>Allocates a pair and puts its line discipline in raw mode.</summary>
    /// <exception cref="IOException">The system refused (no /dev/ptmx, out of ptys); the message names the call and errno.</exception>
    public static PseudoTerminal Open()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("pseudo-terminal emulation of serial devices needs Linux (/dev/ptmx)");
        var master = PosixOpenPt(ReadWrite | NoControllingTty);
        if (master < 0) throw Failure("posix_openpt");
        try
        {
            if (GrantPt(master) != 0) throw Failure("grantpt");
            if (UnlockPt(master) != 0) throw Failure("unlockpt");
            var name = stackalloc byte[128];
            var error = PtsNameR(master, name, 128);
            if (error != 0) throw new IOException($"ptsname_r failed: errno {error}");
            var slavePath = Marshal.PtrToStringUTF8((nint)name) ?? throw new IOException("ptsname_r returned no name");
            MakeRaw(slavePath);
            if (Fcntl(master, SetStatusFlags, ReadWrite | NonBlocking) != 0) throw Failure("fcntl(O_NONBLOCK)");
            return new PseudoTerminal(master, slavePath);
        }
        catch
        {
            _ = Close(master);
            throw;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> for bytes from the slave. False on timeout, and also while no
    /// slave is open (the master then reports a hang-up; the wait still lasts the timeout so callers do not spin).
    /// </summary>
    public bool WaitReadable(int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_master < 0, this);
        var fd = new PollFd { Fd = _master, Events = PollIn };
        var ready = Poll(&fd, 1, timeoutMilliseconds);
        if (ready < 0)
        {
            if (Marshal.GetLastPInvokeError() == Interrupted) return false;
            throw Failure("poll");
        }
        if (ready == 0) return false;
        if ((fd.REvents & PollIn) != 0) return true;
        if ((fd.REvents & (PollHangUp | PollErr)) != 0)
        {
            // No slave open (before the driver opens it, or after it closed it): poll returns at once; wait here.
            Thread.Sleep(timeoutMilliseconds);
        }
        return false;
    }

    /// <summary>Reads what is waiting (up to the span's length); 0 when nothing is, or no slave is open.</summary>
    public int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_master < 0, this);
        fixed (byte* p = buffer)
        {
            var n = ReadNative(_master, p, (nuint)buffer.Length);
            if (n >= 0) return (int)n;
            var errno = Marshal.GetLastPInvokeError();
            if (errno is TryAgain or Interrupted or InputOutputError) return 0;
            throw new IOException($"read from pty master ({SlavePath}) failed: errno {errno}");
        }
    }

    /// <summary>Writes to the slave's input; returns how many bytes the kernel took (the rest is dropped).</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_master < 0, this);
        var total = 0;
        fixed (byte* p = data)
        {
            while (total < data.Length)
            {
                var n = WriteNative(_master, p + total, (nuint)(data.Length - total));
                if (n > 0) { total += (int)n; continue; }
                var errno = Marshal.GetLastPInvokeError();
                if (n < 0 && errno == Interrupted) continue;
                break; // EAGAIN: the slave's input buffer is full (nobody reads); EIO: no slave open
            }
        }
        return total;
    }

    /// <summary>Closes the master: the slave is hung up and its path disappears.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _master, -1);
        if (fd >= 0) _ = Close(fd);
    }

    private static void MakeRaw(string slavePath)
    {
        // The line discipline lives on the slave side: set raw mode through a slave descriptor, then close it again.
        // Keeping it open would keep the tty exclusive after SerialPort (which sets TIOCEXCL) closes it, so a
        // non-root driver could not reopen the port.
        var path = Encoding.UTF8.GetBytes(slavePath + "\0");
        int slave;
        fixed (byte* p = path) slave = OpenNative(p, ReadWrite | NoControllingTty);
        if (slave < 0) throw Failure($"open({slavePath})");
        try
        {
            var termios = stackalloc byte[256]; // struct termios is 60 bytes on glibc; room to spare
            if (TcGetAttr(slave, termios) != 0) throw Failure("tcgetattr");
            CfMakeRaw(termios);
            if (TcSetAttr(slave, SetNow, termios) != 0) throw Failure("tcsetattr");
        }
        finally
        {
            _ = Close(slave);
        }
    }

    private static IOException Failure(string call) => new($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r")]
    private static partial int PtsNameR(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw(byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int OpenNative(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}
