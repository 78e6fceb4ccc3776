namespace RoboDdpg.Core.Timing;

/// <summary>Linux scheduling class for the loop thread.</summary>
public enum SchedulingPolicy
{
    /// <summary>Leave the thread in the default time-sharing class (SCHED_OTHER).</summary>
    Normal,

    /// <summary>
    /// SCHED_FIFO at the configured priority: preempts every normal thread on its core as soon as it wakes.
    /// Needs root, CAP_SYS_NICE or an rtprio limit. The kernel reserves 5 % of each second for normal threads
    /// (sched_rt_runtime_us = 950000), so an RT thread that never sleeps is stalled for ~50 ms per second:
    /// the loop must sleep part of each period, hence FIFO refuses <see cref="WaitStrategy.Spin"/>.
    /// </summary>
    Fifo,
}
