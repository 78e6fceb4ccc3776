using System.CommandLine;
using RoboDdpg.Cli;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Learning;
using RoboDdpg.Learning.Training;

var root = new RootCommand("roboddpg: DDPG continuous control for robots, in simulation and on hardware")
{
    TrainCommand.Create(),
    EvalCommand.Create(),
    ExportCommand.Create(),
    TwinCheckCommand.Create(),
    RunCommand.Create(),
    RunCommand.CreateHil(),
    BenchCommand.Create(),
    TraceCommand.Create(),
    FitCommand.Create(),
    ActorCommand.Create(),
    LearnerCommand.Create(),
    ActorLinkCommand.Create(),
};

return CommandLineHost.Invoke(root, args, "roboddpg", IsUserError);

static bool IsUserError(Exception e) => CommandLineHost.IsRobotSideUserError(e) || e is CheckpointFormatException or LearnerDivergedException;
