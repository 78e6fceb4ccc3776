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
        var trace = new Option<string>("--trace") { Description = "trace CSV (case,step,<state columns>,action,<output columns>,reward; pendulum: th0,thdot0 → cos,sin,thdot; motor-pendulum: th0,thdot0,i0 → cos,sin,thdot; belt-cartpole: x0,xdot0,phi0,phidot0,i0 → x,xdot,cos,sin,phidot)", Required = true };
        var tolerance = OptionFactory.InRange("--tolerance", "largest acceptable absolute error", TwinCheck.DefaultTolerance, 0, double.MaxValue);
        var parameters = OptionFactory.Create<string?>("--params", "twin parameter file (JSON; motor-pendulum), e.g. one written by fit", null);

        var command = new Command("twin-check", "compare a simulator twin with a recorded reference trace") { env, trace, tolerance, parameters };
        command.SetAction(parse =>
        {
            var envName = parse.GetValue(env)!;
            var settings = new Sim.TwinSettings(parse.GetValue(parameters) is { } file ? Sim.TwinFile.Read(file) : null);
            using var environment = Twins.Create(envName, settings);
            if (environment is not ITraceReplayable twin) throw new CliError($"environment '{envName}' cannot replay traces");
            var report = TwinCheck.Check(parse.GetValue(trace)!, twin);
            Console.WriteLine(report.ToJson());
            return report.IsWithin(parse.GetValue(tolerance)) ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }
}
