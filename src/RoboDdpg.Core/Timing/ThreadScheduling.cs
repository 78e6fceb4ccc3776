using System.Runtime.InteropServices;

namespace RoboDdpg.Core.Timing;

/// <summary>
/// Scheduling class, CPU affinity and timer slack of the <b>calling</b> thread (Linux applies these per thread:
/// pid 0 means "this thread"), so call them from the thread they are for. Also usable for non-loop threads, e.g. to
/// pin a learner thread away from the control core. Failures throw <see cref="RealtimeSchedulingException"/>.
/// </summary>
public static class ThreadScheduling
{
    public const int MinFifoPriority = 1;
    public const int MaxFifoPriority = 99;

    /// <summary>Puts the calling thread into SCHED_FIFO at <paramref name="priority"/> (1..99).</summary>
    public static void SetFifo(int priority)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(priority, MinFifoPriority);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority, MaxFifoPriority);
        RequireLinux("SCHED_FIFO scheduling");
        var param = new LinuxNative.SchedParam { Priority = priority };
        if (LinuxNative.SchedSetScheduler(0, LinuxNative.SchedFifo, in param) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var hint = errno == 1
                ? "; needs root, CAP_SYS_NICE or an rtprio limit (ulimit -r), and a cgroup with an RT budget"
                : "";
            throw new RealtimeSchedulingException(
                $"sched_setscheduler(SCHED_FIFO, priority {priority}) failed: {Describe(errno)}{hint}", errno);
        }
    }

    /// <summary>Returns the calling thread to the normal time-sharing class (SCHED_OTHER).</summary>
    public static void SetNormal()
    {
        if (!OperatingSystem.IsLinux()) return;
        var param = new LinuxNative.SchedParam { Priority = 0 };
        if (LinuxNative.SchedSetScheduler(0, LinuxNative.SchedOther, in param) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new RealtimeSchedulingException($"sched_setscheduler(SCHED_OTHER) failed: {Describe(errno)}", errno);
        }
    }

    /// <summary>The calling thread's scheduling class (Normal for anything that is not SCHED_FIFO, and off Linux).</summary>
    public static SchedulingPolicy GetCurrentPolicy() =>
        OperatingSystem.IsLinux() && LinuxNative.SchedGetScheduler(0) == LinuxNative.SchedFifo
            ? SchedulingPolicy.Fifo
            : SchedulingPolicy.Normal;

    /// <summary>Restricts the calling thread to the given CPUs (0-based, &lt; 1024).</summary>
    public static void SetAffinity(IReadOnlyList<int> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        if (cpus.Count == 0) throw new ArgumentException("CPU affinity needs at least one CPU", nameof(cpus));
        RequireLinux("thread CPU affinity");
        var mask = new ulong[LinuxNative.CpuSetWords];
        foreach (var cpu in cpus)
        {
            if (cpu < 0 || cpu >= 64 * LinuxNative.CpuSetWords)
                throw new ArgumentOutOfRangeException(nameof(cpus), cpu, "CPU numbers must be in 0..1023");
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
        if (LinuxNative.SchedSetAffinity(0, (nuint)(mask.Length * sizeof(ulong)), mask) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new RealtimeSchedulingException(
                $"sched_setaffinity(CPUs {string.Join(',', cpus)}) failed: {Describe(errno)}" +
                (errno == 22 ? "; no listed CPU is online and allowed for this process" : ""), errno);
        }
    }

    /// <summary>The CPUs the calling thread may run on (off Linux: all of them).</summary>
    public static int[] GetAffinity()
    {
        if (!OperatingSystem.IsLinux()) return Enumerable.Range(0, Environment.ProcessorCount).ToArray();
        var mask = new ulong[LinuxNative.CpuSetWords];
        if (LinuxNative.SchedGetAffinity(0, (nuint)(mask.Length * sizeof(ulong)), mask) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new RealtimeSchedulingException($"sched_getaffinity failed: {Describe(errno)}", errno);
        }
        var cpus = new List<int>();
        for (var cpu = 0; cpu < 64 * mask.Length; cpu++)
            if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0) cpus.Add(cpu);
        return cpus.ToArray();
    }

    /// <summary>
    /// Sets the calling thread's timer slack (Linux groups timer expiries up to this late, 50 µs by default, to save
    /// wake-ups). Best effort: returns false when it could not be set. SCHED_FIFO threads get no slack anyway.
    /// </summary>
    public static bool TrySetTimerSlack(long nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nanoseconds, 1);
        return OperatingSystem.IsLinux() && LinuxNative.Prctl(LinuxNative.PrSetTimerSlack, (nuint)nanoseconds, 0, 0, 0) == 0;
    }

    /// <summary>
    /// Lowers every thread of this process to <paramref name="niceness"/> (1..19; threads started later inherit it
    /// from their creator), so that its work yields to a control loop running at normal priority in another process.
    /// Linux applies nice values per thread, hence each thread of /proc/self/task. Best effort: returns the number of
    /// threads lowered (0 elsewhere than on Linux).
    /// </summary>
    public static int TryLowerProcessPriority(int niceness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(niceness, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(niceness, 19);
        if (!OperatingSystem.IsLinux()) return 0;
        var lowered = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
                if (uint.TryParse(Path.GetFileName(task), out var tid) && LinuxNative.SetPriority(LinuxNative.PrioProcess, tid, niceness) == 0) lowered++;
        }
        catch (IOException)
        {
            // A thread ended while listed: the others are done.
        }
        return lowered;
    }

    private static void RequireLinux(string what)
    {
        if (!OperatingSystem.IsLinux())
            throw new RealtimeSchedulingException($"{what} is only implemented on Linux (this is {RuntimeInformation.OSDescription})");
    }

    private static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} ({LinuxNative.ErrorName(errno)})";
}
