using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RoboDdpg.Core.Replay;

/// <summary>Asks Linux to back a large pinned array with transparent huge pages (madvise MADV_HUGEPAGE); a hint only.</summary>
internal static partial class HugePages
{
    private const int MadvHugePage = 14;
    private const long HugePageSize = 2 << 20;

    public static unsafe void Advise(float[] pinnedArray)
    {
        if (!OperatingSystem.IsLinux()) return;
        var length = (long)pinnedArray.Length * sizeof(float);
        if (length < 2 * HugePageSize) return;
        var start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinnedArray));
        // Only whole huge pages inside the array: madvise must not touch neighbouring heap memory's settings.
        var alignedStart = (start + HugePageSize - 1) & ~(HugePageSize - 1);
        var alignedEnd = (start + length) & ~(HugePageSize - 1);
        if (alignedEnd > alignedStart)
            _ = madvise((nint)alignedStart, (nuint)(alignedEnd - alignedStart), MadvHugePage); // failure just means small pages
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
