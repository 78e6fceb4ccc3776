using System.CommandLine;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// <c>roboddpg twin-check</c>: replays a reference trace on a twin and prints the largest absolute error per column
/// as one JSON object. Exit 0 within tolerance, 1 outside, 2 for a malformed or missing trace.
/// </summary>
internal static class TwinCheckCommand
{
    public static Command Create()
    {
        var env = OptionFactory.Environment();
        var trace = new Option<string>("--trace") { Description = "trace CSV (case,step,th0,thdot0,action,cos,sin,thdot,reward)", Required = true };
        var tolerance = OptionFactory.InRange("--tolerance", "largest acceptable absolute error", TwinCheck.DefaultTolerance, 0, double.MaxValue);

        var command = new Command("twin-check", "compare a simulator twin with a recorded reference trace") { env, trace, tolerance };
        command.SetAction(parse =>
        {
            var report = TwinCheck.Run(parse.GetValue(trace)!);
            Console.WriteLine(report.ToJson());
            return report.IsWithin(parse.GetValue(tolerance)) ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }
}
