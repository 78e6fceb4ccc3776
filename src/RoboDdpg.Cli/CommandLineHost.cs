using System.CommandLine;

namespace RoboDdpg.Cli;

/// <summary>
/// Runs a root command the way every RoboDdpg executable reports problems (shared by <c>roboddpg</c> and the robot
/// build <c>roboddpg-robot</c>): a parse error or a user error is one line on stderr with exit 2, anything else an
/// internal error (exit 70) whose stack trace only <c>ROBODDPG_DEBUG=1</c> prints.
/// </summary>
internal static class CommandLineHost
{
    /// <param name="tool">The executable's name, the prefix of every error line.</param>
    /// <param name="isUserError">Exceptions that are bad input (files, arguments, devices), reported without a stack trace.</param>
    public static int Invoke(RootCommand root, string[] args, string tool, Func<Exception, bool> isUserError)
    {
        // Redirected output (logs, CI, pipes, journald) gets whole lines instead of Spectre's 80-column wrapping.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // The first problem in one line, no usage dump: the user sees what is wrong and where.
                Console.Error.WriteLine($"{tool}: {OneLine(parse.Errors[0].Message)}");
                return ExitCodes.BadInput;
            }
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (isUserError(e))
        {
            Console.Error.WriteLine($"{tool}: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{tool}: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            if (Environment.GetEnvironmentVariable("ROBODDPG_DEBUG") == "1") Console.Error.WriteLine(e);
            else Console.Error.WriteLine($"{tool}: set ROBODDPG_DEBUG=1 for the stack trace");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>Bad input every build can meet: arguments, policy/trace/config files, robot descriptions, devices.</summary>
    public static bool IsRobotSideUserError(Exception e) => e is CliError or Core.Policy.PolicyFormatException
        or Core.IO.OutputDirectoryException or Sim.Traces.TraceFormatException or Sim.UnknownEnvironmentException
        // Setup problems said in one line too: SCHED_FIFO without the privilege, a bad twin parameter file.
        or Core.Timing.RealtimeSchedulingException or Sim.ConfigFileException
        // A robot that cannot be set up: bad description, absent bus or device, nothing to emulate it with.
        or Hardware.Description.RobotDescriptionException or Hardware.Devices.DeviceException
        or Hardware.Buses.BusUnavailableException or Hil.EmulationException
        // Fleet settings: key file, broker address, robot id, TLS files, no policy from the learner.
        or RoboDdpg.Fleet.FleetConfigException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
