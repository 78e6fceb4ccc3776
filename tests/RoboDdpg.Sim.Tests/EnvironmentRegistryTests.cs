using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Sim.Tests;

public sealed class EnvironmentRegistryTests
{
    [Fact]
    public void Lists_the_twins_and_creates_pendulum()
    {
        Assert.Equal(["belt-cartpole", "motor-pendulum", "pendulum"], EnvironmentRegistry.Names);
        using var env = EnvironmentRegistry.Create("pendulum");
        Assert.IsType<PendulumEnvironment>(env);
        Assert.Equal("pendulum", env.Spec.Name);
    }

    [Fact]
    public void Each_call_creates_a_fresh_instance()
    {
        using var a = EnvironmentRegistry.Create("pendulum");
        using var b = EnvironmentRegistry.Create("pendulum");
        Assert.NotSame(a, b);
    }

    [Fact]
    public void Unknown_name_throws_with_known_names()
    {
        var ex = Assert.Throws<UnknownEnvironmentException>(() => EnvironmentRegistry.Create("cartpole"));
        Assert.Equal("unknown environment 'cartpole' (known: belt-cartpole, motor-pendulum, pendulum)", ex.Message);
        Assert.Equal("cartpole", ex.Name);
        Assert.Equal(["belt-cartpole", "motor-pendulum", "pendulum"], ex.KnownNames);
    }
}
