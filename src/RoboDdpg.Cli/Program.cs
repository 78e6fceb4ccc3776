using System.CommandLine;
using RoboDdpg.Cli;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Core.Policy;
using RoboDdpg.Learning;
using RoboDdpg.Learning.Training;
using RoboDdpg.Sim;
using RoboDdpg.Sim.Traces;

var root = new RootCommand("roboddpg: DDPG continuous control for robots, in simulation and on hardware")
{
    TrainCommand.Create(),
    EvalCommand.Create(),
    ExportCommand.Create(),
    TwinCheckCommand.Create(),
    RunCommand.Create(),
    BenchCommand.Create(),
    ActorCommand.Create(),
    LearnerCommand.Create(),
};

// Redirected output (logs, CI, pipes) gets whole lines instead of Spectre's 80-column wrapping.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;

try
{
    var parse = root.Parse(args);
    if (parse.Errors.Count > 0)
    {
        // The first problem in one line, no usage dump: the user sees what is wrong and where.
        Console.Error.WriteLine($"roboddpg: {OneLine(parse.Errors[0].Message)}");
        return ExitCodes.BadInput;
    }
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (IsUserError(e))
{
    Console.Error.WriteLine($"roboddpg: {OneLine(e.Message)}");
    return ExitCodes.BadInput;
}
catch (Exception e)
{
    Console.Error.WriteLine($"roboddpg: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
    if (Environment.GetEnvironmentVariable("ROBODDPG_DEBUG") == "1") Console.Error.WriteLine(e);
    else Console.Error.WriteLine("roboddpg: set ROBODDPG_DEBUG=1 for the stack trace");
    return ExitCodes.InternalError;
}

static bool IsUserError(Exception e) => e is CliError or PolicyFormatException or CheckpointFormatException
    or OutputDirectoryException or TraceFormatException or UnknownEnvironmentException or LearnerDivergedException
    // Setup problems said in one line too: SCHED_FIFO without the privilege, a bad twin parameter file.
    or RoboDdpg.Core.Timing.RealtimeSchedulingException or RoboDdpg.Sim.ConfigFileException
    // Fleet settings: key file, broker address, robot id, TLS files, no policy from the learner.
    or RoboDdpg.Fleet.FleetConfigException;

static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
