using System.CommandLine;
using RoboDdpg.Core.Timing;

namespace RoboDdpg.Cli.Commands;

/// <summary>The control-loop pacing options shared by <c>run</c> and <c>bench</c>.</summary>
internal sealed class LoopOptionSet
{
    private readonly Option<string> _wait = OptionFactory.Create("--wait", "how the loop waits for a deadline: sleep, sleep-spin or spin", "sleep-spin");
    private readonly Option<double> _spinMargin = OptionFactory.InRange("--spin-margin-us", "sleep-spin: spin this long before each deadline",
        RealtimeLoopOptions.DefaultSpinMargin.TotalMicroseconds, 0, 1e6);
    private readonly Option<int> _fifo = OptionFactory.AtLeast("--fifo", "run the loop thread SCHED_FIFO at this priority (1..99; 0: normal scheduling)", 0, 0);
    private readonly Option<int> _cpu = OptionFactory.AtLeast("--cpu", "pin the loop thread to this CPU (-1: no pinning)", -1, -1);

    public LoopOptionSet() => _wait.AcceptOnlyFromAmong("sleep", "sleep-spin", "spin");

    public void AddTo(Command command)
    {
        command.Options.Add(_wait);
        command.Options.Add(_spinMargin);
        command.Options.Add(_fifo);
        command.Options.Add(_cpu);
    }

    /// <summary>Loop options from the command line; an invalid combination is a one-line <see cref="CliError"/>.</summary>
    public RealtimeLoopOptions Build(ParseResult parse, double rateHz, long warmupTicks)
    {
        var fifo = parse.GetValue(_fifo);
        if (fifo > 99) throw new CliError($"--fifo must be in 1..99, got {fifo}");
        if (parse.GetValue(_cpu) >= Environment.ProcessorCount)
            throw new CliError($"--cpu {parse.GetValue(_cpu)}: this machine has CPUs 0..{Environment.ProcessorCount - 1}");
        var options = new RealtimeLoopOptions
        {
            RateHz = rateHz,
            WaitStrategy = parse.GetValue(_wait) switch { "sleep" => WaitStrategy.Sleep, "spin" => WaitStrategy.Spin, _ => WaitStrategy.SleepThenSpin },
            SpinMargin = TimeSpan.FromMicroseconds(parse.GetValue(_spinMargin)),
            Scheduling = fifo > 0 ? SchedulingPolicy.Fifo : SchedulingPolicy.Normal,
            Priority = fifo > 0 ? fifo : 50,
            CpuAffinity = parse.GetValue(_cpu) is >= 0 and var cpu ? [cpu] : null,
            WarmupTicks = warmupTicks,
            ThreadName = "roboddpg-loop",
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message.Split(" (Parameter")[0]);
        }
        return options;
    }

    /// <summary>How the loop was paced, for reports.</summary>
    public static string Describe(RealtimeLoopOptions options) =>
        $"{options.WaitStrategy}{(options.WaitStrategy == WaitStrategy.SleepThenSpin ? $" (margin {options.SpinMargin.TotalMicroseconds:0} µs)" : "")}, " +
        $"{(options.Scheduling == SchedulingPolicy.Fifo ? $"SCHED_FIFO {options.Priority}" : "normal scheduling")}" +
        (options.CpuAffinity is { } cpus ? $", CPU {string.Join(',', cpus)}" : "");
}
