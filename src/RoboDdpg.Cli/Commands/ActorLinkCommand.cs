using System.CommandLine;
using System.Runtime.InteropServices;
using RoboDdpg.Core.Timing;
using RoboDdpg.Fleet.Sidecar;

namespace RoboDdpg.Cli.Commands;

/// <summary>
/// The hidden <c>actor-link</c> command: the MQTT sidecar process that <c>actor</c> starts from its own executable
/// (see <see cref="ActorSidecar"/>). It reads its configuration as one JSON line on standard input and runs until
/// that input closes.
/// </summary>
internal static class ActorLinkCommand
{
    public const string Name = "actor-link";

    /// <summary>The sidecar's nice value (0 is normal, 19 the lowest).</summary>
    public const int SidecarNiceness = 5;

    public static Command Create()
    {
        var command = new Command(Name, "internal: the MQTT sidecar process of `actor`, started by it") { Hidden = true };
        command.SetAction(_ =>
        {
            // Ctrl+C in a terminal reaches the whole process group, and a systemd stop the whole unit: the actor
            // decides when its sidecar stops (it first has the ring sent or spooled, then closes this one's input).
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true);
            // Messaging yields to control: when the loop runs at normal priority, it wins the CPU from this process's
            // bursts (a snapshot to receive, a batch to send). Before any MQTT thread exists, so they all inherit it.
            ThreadScheduling.TryLowerProcessPriority(SidecarNiceness);
            var config = ActorSidecarConfig.Parse(Console.In.ReadLine());
            using var closed = new CancellationTokenSource();
            var watcher = new Thread(() =>
            {
                try
                {
                    while (Console.In.ReadLine() is not null)
                    {
                    }
                }
                catch (IOException)
                {
                }
                closed.Cancel();
            }) { Name = "roboddpg-stdin-watch", IsBackground = true };
            watcher.Start();
            // The doorbell: one byte on standard output, which the actor's pump thread blocks reading.
            using var doorbell = Console.OpenStandardOutput();
            byte[] bell = [1];
            return ActorSidecar.Run(config, message => Console.Error.WriteLine(message), closed.Token, () =>
            {
                try
                {
                    doorbell.Write(bell);
                }
                catch (IOException)
                {
                    // The actor is gone; the closed input stops this process.
                }
            });
        });
        return command;
    }

    /// <summary>How to start this executable's <c>actor-link</c>; null when the running program cannot be found.</summary>
    public static SidecarLauncher? SelfLauncher() => SelfCommand(Name);

    /// <summary>
    /// How to run one of this executable's commands in a new process: the app host itself, or <c>dotnet</c> with the
    /// assembly when run through the muxer (tests, <c>dotnet roboddpg.dll</c>); null when the running program cannot
    /// be found.
    /// </summary>
    public static SidecarLauncher? SelfCommand(params string[] arguments)
    {
        var program = Environment.ProcessPath;
        if (program is null) return null;
        var assembly = typeof(ActorLinkCommand).Assembly.Location; // empty in a single-file bundle
        return Path.GetFileNameWithoutExtension(program) == "dotnet" && assembly.Length > 0
            ? new SidecarLauncher(program, [assembly, .. arguments])
            : new SidecarLauncher(program, arguments);
    }
}
