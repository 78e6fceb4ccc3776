using RoboDdpg.Core.Environments;
using RoboDdpg.Learning.Training;
using RoboDdpg.Sim.Pendulum;

namespace RoboDdpg.Learning.Tests;

public sealed class DdpgTrainerTests
{
    private static readonly DdpgOptions Small = new() { HiddenSizes = [32, 32], BatchSize = 32, WarmupSteps = 100, ReplayCapacity = 10_000 };

    private static TrainingOptions Steps(long steps, ulong seed = 4) =>
        new() { TotalSteps = steps, Seed = seed, EvalInterval = 0, EvalEpisodes = 2, CheckpointInterval = 0 };

    private static float[] Weights(DdpgTrainer trainer) =>
        trainer.ExportPolicy().Layers.SelectMany(l => l.Weights.Concat(l.Bias)).ToArray();

    private static IEnvironment Pendulum() => new PendulumEnvironment();

    [Fact]
    public void Same_seed_reproduces_the_run_and_another_seed_does_not()
    {
        using var a = new DdpgTrainer(Pendulum, Small, Steps(300));
        using var b = new DdpgTrainer(Pendulum, Small, Steps(300));
        using var c = new DdpgTrainer(Pendulum, Small, Steps(300, seed: 5));
        a.Run();
        b.Run();
        c.Run();
        Assert.Equal(200, a.Learner.Updates);
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(c));
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_exactly_like_an_uninterrupted_run()
    {
        using var dir = new TempDirectory();
        var checkpoint = Path.Combine(dir.Path, "checkpoint.rdckpt");

        using var straight = new DdpgTrainer(Pendulum, Small, Steps(400));
        straight.Run();

        // Stop at 200 steps (an episode boundary: the pendulum's time limit), save, resume to 400.
        using (var first = new DdpgTrainer(Pendulum, Small, Steps(200)))
        {
            first.Run();
            first.SaveCheckpoint(checkpoint);
        }
        using var resumed = DdpgTrainer.Resume(checkpoint, (_, _, _) => Pendulum(), totalSteps: 400);
        Assert.Equal(200, resumed.EnvSteps);
        Assert.Equal(100, resumed.Learner.Updates);
        Assert.Equal(200, resumed.Replay.Count);
        resumed.Run();

        Assert.Equal(straight.Learner.Updates, resumed.Learner.Updates);
        Assert.Equal(Weights(straight), Weights(resumed));
        Assert.Equal(straight.Evaluate().MeanReturn, resumed.Evaluate().MeanReturn);
    }

    [Fact]
    public void Terminated_is_stored_but_truncation_is_not()
    {
        using var trainer = new DdpgTrainer(Pendulum, Small, Steps(450));
        trainer.Run();
        // Two full 200-step episodes ended by the time limit: every stored transition must still bootstrap.
        for (var i = 0; i < trainer.Replay.Count; i++) Assert.False(trainer.Replay.Get(i).Terminated);
        Assert.Equal(2, trainer.Episodes);
    }

    [Fact]
    public void A_corrupted_checkpoint_is_refused_before_anything_is_loaded()
    {
        using var dir = new TempDirectory();
        var checkpoint = Path.Combine(dir.Path, "checkpoint.rdckpt");
        using (var trainer = new DdpgTrainer(Pendulum, Small, Steps(150)))
        {
            trainer.Run();
            trainer.SaveCheckpoint(checkpoint);
        }
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(checkpoint, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => DdpgTrainer.Resume(checkpoint, (_, _, _) => Pendulum()));
        Assert.Equal($"{checkpoint}: checksum mismatch (checkpoint is corrupted or truncated)", e.Message);
    }
}
