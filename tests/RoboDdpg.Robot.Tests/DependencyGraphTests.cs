using System.Text.Json;

namespace RoboDdpg.Robot.Tests;

/// <summary>The robot build runs on ARM boards where libtorch does not exist: TorchSharp must stay out of its graph.</summary>
public sealed class DependencyGraphTests
{
    private static bool IsLearningSide(string name) =>
        name.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("RoboDdpg.Learning", StringComparison.OrdinalIgnoreCase)
        || name.Equals("RoboDdpg.Cli", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void The_restored_graph_of_the_robot_project_holds_no_TorchSharp_libtorch_or_Learning()
    {
        var assets = Path.Combine(RobotCli.ProjectDirectory, "obj", "project.assets.json");
        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        // "libraries" lists every package and project reachable, transitively, as "name/version".
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        Assert.Contains("RoboDdpg.Core", libraries);     // the list is the real graph...
        Assert.Contains("RoboDdpg.Hardware", libraries);
        Assert.Contains("System.CommandLine", libraries);
        Assert.DoesNotContain(libraries, IsLearningSide); // ...and the learning side is not in it
    }

    [Fact]
    public void The_built_robot_executable_loads_no_TorchSharp_assembly()
    {
        var deps = Path.ChangeExtension(RobotCli.DllPath, ".deps.json");
        using var json = JsonDocument.Parse(File.ReadAllText(deps));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        Assert.Contains("roboddpg-robot", libraries);
        Assert.Contains("RoboDdpg.Hil", libraries);
        Assert.DoesNotContain(libraries, IsLearningSide);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(RobotCli.DllPath)!, "*orch*", SearchOption.AllDirectories));
    }
}
