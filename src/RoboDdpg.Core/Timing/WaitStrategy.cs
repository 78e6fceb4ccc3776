namespace RoboDdpg.Core.Timing;

/// <summary>How the loop waits for the next tick's due time.</summary>
public enum WaitStrategy
{
    /// <summary>
    /// Sleep until the deadline (absolute <c>clock_nanosleep</c> on Linux). Frees the core, but every wake-up is
    /// late by the kernel's timer and scheduling latency (tens to hundreds of µs on a VM).
    /// </summary>
    Sleep,

    /// <summary>
    /// Sleep until <c>deadline − SpinMargin</c>, then spin on the clock to the deadline: wake-ups are as precise as a
    /// spin while the core is only busy for the margin. The default.
    /// </summary>
    SleepThenSpin,

    /// <summary>Spin on the clock the whole period: the most precise, but burns a whole core. Not allowed with SCHED_FIFO.</summary>
    Spin,
}
