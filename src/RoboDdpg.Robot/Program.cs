using System.CommandLine;
using RoboDdpg.Cli;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Robot;
using RoboDdpg.Robot.Service;

var root = new RootCommand("roboddpg-robot: run DDPG policies on a robot board, or act for a learner on a PC (no TorchSharp)")
{
    RunCommand.CreateHil(),
    RunCommand.Create(),
    ActorCommand.Create(),
    ActorLinkCommand.Create(),
    EvalCommand.Create(),
    TwinCheckCommand.Create(),
    PolicyCheckCommand.Create(),
    ServiceCommand.Create(),
};

return CommandLineHost.Invoke(root, args, "roboddpg-robot", CommandLineHost.IsRobotSideUserError);
