using System.Runtime.InteropServices;

namespace RoboDdpg.Core.Timing;

/// <summary>
/// The few libc calls the real-time loop needs on Linux. Only blittable arguments, so calls do not allocate.
/// <c>long</c>/<c>time_t</c> are <see cref="nint"/> so the layout also fits 32-bit ARM boards.
/// DllImport rather than LibraryImport because the Core project does not enable unsafe code.
/// </summary>
internal static class LinuxNative
{
    public const int ClockMonotonic = 1;
    public const int TimerAbsolute = 1;
    public const int SchedOther = 0;
    public const int SchedFifo = 1;
    public const int PrSetTimerSlack = 29;
    public const int EIntr = 4;
    public const int CpuSetWords = 1024 / 64; // glibc's cpu_set_t: 1024 bits

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;

        public readonly long TotalNanoseconds => (long)Seconds * 1_000_000_000 + Nanoseconds;

        public static TimeSpec From(long nanoseconds)
        {
            var seconds = Math.DivRem(nanoseconds, 1_000_000_000, out var rest);
            return new TimeSpec { Seconds = (nint)seconds, Nanoseconds = (nint)rest };
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SchedParam
    {
        public int Priority;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    public static extern int ClockGetTime(int clockId, out TimeSpec time);

    /// <summary>Returns 0 or an error number (not errno).</summary>
    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    public static extern int ClockNanosleep(int clockId, int flags, in TimeSpec request, IntPtr remain);

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    public static extern int SchedSetScheduler(int pid, int policy, in SchedParam param);

    [DllImport("libc", EntryPoint = "sched_getscheduler", SetLastError = true)]
    public static extern int SchedGetScheduler(int pid);

    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static extern int SchedSetAffinity(int pid, nuint cpuSetSize, ulong[] mask);

    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static extern int SchedGetAffinity(int pid, nuint cpuSetSize, [Out] ulong[] mask);

    public const int PrioProcess = 0;

    /// <summary>On Linux, with <see cref="PrioProcess"/> and a thread id, sets that one thread's nice value.</summary>
    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    public static extern int SetPriority(int which, uint who, int niceness);

    // prctl is variadic; passing all five word-sized arguments is the usual, ABI-safe way to call it.
    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static extern int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public static string ErrorName(int errno) => errno switch
    {
        1 => "EPERM",
        3 => "ESRCH",
        14 => "EFAULT",
        22 => "EINVAL",
        _ => $"errno {errno}",
    };
}
