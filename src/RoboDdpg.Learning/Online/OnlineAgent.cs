using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;
using RoboDdpg.Core.Runtime;
using RoboDdpg.Core.Safety;

namespace RoboDdpg.Learning.Online;

/// <summary>
/// The parts of an agent acting in real time, wired together: the control-loop tick over an environment, the safety
/// layer, the policy snapshot exchange and — when learning — exploration noise, the replay ring, the DDPG learner and
/// its thread. Run <see cref="Control"/> on a <see cref="Core.Timing.RealtimeLoop"/>, then start <see cref="Learner"/>.
/// Disposing stops and joins the learner thread before the networks are released.
/// </summary>
public sealed class OnlineAgent : IDisposable
{
    private OnlineAgent(ControlLoop control, PolicySnapshotExchange snapshots, DdpgLearner? networks, ReplayBuffer? replay,
        IExplorationNoise? noise, LearnerThread? learner)
    {
        Control = control;
        Snapshots = snapshots;
        Networks = networks;
        Replay = replay;
        Noise = noise;
        Learner = learner;
    }

    public ControlLoop Control { get; }
    public PolicySnapshotExchange Snapshots { get; }

    /// <summary>The TorchSharp networks, when learning.</summary>
    public DdpgLearner? Networks { get; }

    public ReplayBuffer? Replay { get; }
    public IExplorationNoise? Noise { get; }

    /// <summary>The learner thread (not started yet), when learning.</summary>
    public LearnerThread? Learner { get; }

    /// <param name="startingPolicy">The policy to act with; when learning, the actor starts from it (fine-tuning).
    /// Without it, learning starts from scratch with <see cref="DdpgOptions.WarmupSteps"/> random actions.</param>
    /// <param name="learn">Record transitions and train concurrently; otherwise act deterministically with <paramref name="startingPolicy"/>.</param>
    /// <param name="pretrainedCheckpoint">A training checkpoint whose actor and critic (with targets and optimizer
    /// states) the learner starts from, instead of <paramref name="startingPolicy"/>; <paramref name="ddpg"/> must have
    /// its hidden sizes.</param>
    /// <param name="pretrainedReplay">With <paramref name="pretrainedCheckpoint"/>: start from its replay buffer too; learning
    /// begins after <see cref="LearnerOptions.WarmupTransitions"/> new transitions, and the update-to-data ratio counts new
    /// transitions only.</param>
    /// <param name="settleTicks">Real-time plants: ticks of safe action between episodes (see <see cref="ControlLoopOptions.SettleTicks"/>).</param>
    public static OnlineAgent Create(IEnvironment environment, MlpPolicy? startingPolicy, bool learn, DdpgOptions ddpg,
        LearnerOptions learnerOptions, SafetyOptions safety, ulong seed, string? pretrainedCheckpoint = null, int settleTicks = 0,
        bool pretrainedReplay = false)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var spec = environment.Spec;
        if (!learn)
        {
            var policy = startingPolicy ?? throw new ArgumentException("acting without learning needs a policy", nameof(startingPolicy));
            var deployed = ControlLoop.ForPolicy(environment, policy, safety, seed, settleTicks);
            return new OnlineAgent(deployed, deployed.Policies, null, null, null, null);
        }

        TorchSharp.torch.manual_seed((long)(seed & long.MaxValue));
        var networks = DdpgLearner.For(spec, ddpg);
        try
        {
            ReplayBuffer? replay = null;
            if (pretrainedCheckpoint is not null && pretrainedReplay)
            {
                replay = Training.CheckpointFile.LoadNetworksAndReplay(pretrainedCheckpoint, networks);
                if (replay.ObservationSize != spec.ObservationSize || replay.ActionSize != spec.ActionSize)
                    throw new Training.CheckpointFormatException($"{pretrainedCheckpoint}: its replay buffer holds {replay.ObservationSize}→{replay.ActionSize} transitions, '{spec.Name}' has {spec.ObservationSize}→{spec.ActionSize}");
                // The learner counts transitions in the buffer: shift its warm-up past the old ones.
                learnerOptions = learnerOptions with { WarmupTransitions = learnerOptions.WarmupTransitions + (int)Math.Min(replay.TotalAdded, int.MaxValue / 2) };
            }
            else if (pretrainedCheckpoint is not null) Training.CheckpointFile.LoadNetworks(pretrainedCheckpoint, networks);
            else if (startingPolicy is not null) networks.LoadActor(startingPolicy);
            var pretrained = pretrainedCheckpoint is not null || startingPolicy is not null;
            var initial = networks.ExportPolicy();
            var snapshots = new PolicySnapshotExchange(initial, initial.Clone);
            replay ??= new ReplayBuffer(ddpg.ReplayCapacity, spec.ObservationSize, spec.ActionSize);
            var noise = new GaussianNoise(spec.ActionSize, ddpg.NoiseSigma, new Xoshiro256(seed ^ 0x5eed));
            var control = new ControlLoop(environment, snapshots, noise, new SafetyLayer(spec, safety), replay,
                new ControlLoopOptions { Seed = seed, RandomActionTransitions = pretrained ? 0 : ddpg.WarmupSteps, SettleTicks = settleTicks });
            var learner = new LearnerThread(networks, replay, snapshots, learnerOptions, seed ^ 0x1ea7);
            return new OnlineAgent(control, snapshots, networks, replay, noise, learner);
        }
        catch
        {
            networks.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Learner?.Stop(); // join before the networks go: ending inside a TorchSharp call crashes the process
        Networks?.Dispose();
    }
}
