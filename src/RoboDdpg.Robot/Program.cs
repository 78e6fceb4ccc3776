using System.CommandLine;
using RoboDdpg.Cli;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Robot;

var root = new RootCommand("roboddpg-robot: run DDPG policies on a robot board (no learning, no TorchSharp)")
{
    RunCommand.CreateHil(),
    RunCommand.Create(),
    EvalCommand.Create(),
    TwinCheckCommand.Create(),
    PolicyCheckCommand.Create(),
};

return CommandLineHost.Invoke(root, args, "roboddpg-robot", CommandLineHost.IsRobotSideUserError);
