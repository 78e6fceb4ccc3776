using TorchSharp;
using System.Runtime.InteropServices;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Replay;
using RoboDdpg.Learning.Networks;
using TorchSharp.Modules;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace RoboDdpg.Learning;

/// <summary>Losses of one DDPG update.</summary>
public readonly record struct UpdateResult(double CriticLoss, double ActorLoss, double MeanQ);

/// <summary>
/// The DDPG learner: actor μ_θ, critic Q_φ, their Polyak-averaged targets, and one Adam optimizer each.
/// One <see cref="Update"/> = critic step on the mean-squared Bellman error, actor step by gradient ascent
/// on Q_φ(s, μ_θ(s)) with respect to θ only, then both targets averaged toward the online networks.
/// <para>
/// An update leaves nothing for the finalizer (a test counts it): every TorchSharp object it creates is disposed or
/// made once. Undisposed Scalars, pinned arrays and tensor wrappers — thousands per second from implicit double→Scalar
/// conversions, <c>optim.Adam</c>, <c>zero_grad</c>, <c>cat</c>, <c>.shape</c>, <c>item</c> — made every garbage
/// collection a 20–60 ms blocking one that stopped the control loop thread too.
/// </para>
/// </summary>
public sealed class DdpgLearner : IDisposable
{
    private readonly AdamOptimizer _actorOptimizer;
    private readonly AdamOptimizer _criticOptimizer;
    private readonly Parameter[] _actorParameters;
    private readonly Parameter[] _criticParameters;
    private readonly Parameter[] _targetActorParameters;
    private readonly Parameter[] _targetCriticParameters;
    private readonly Scalar _gamma;
    private readonly Scalar _rho;
    private readonly Scalar _oneMinusRho;
    private readonly Scalar _one = 1.0.ToScalar();
    private readonly Tensor _observations;
    private readonly Tensor _actions;
    private readonly Tensor _rewards;
    private readonly Tensor _nextObservations;
    private readonly Tensor _terminated;

    public DdpgLearner(int observationSize, IReadOnlyList<float> actionLow, IReadOnlyList<float> actionHigh, DdpgOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        ObservationSize = observationSize;
        ActionSize = actionLow.Count;
        ActionLow = [.. actionLow];
        ActionHigh = [.. actionHigh];

        Actor = new ActorNetwork(observationSize, ActionSize, options.HiddenSizes, actionLow, actionHigh);
        Critic = new CriticNetwork(observationSize, ActionSize, options.HiddenSizes);
        TargetActor = new ActorNetwork(observationSize, ActionSize, options.HiddenSizes, actionLow, actionHigh);
        TargetCritic = new CriticNetwork(observationSize, ActionSize, options.HiddenSizes);
        PolyakAverager.HardCopy(TargetActor, Actor);
        PolyakAverager.HardCopy(TargetCritic, Critic);
        _actorParameters = [.. Actor.parameters()];
        _criticParameters = [.. Critic.parameters()];
        _targetActorParameters = [.. TargetActor.parameters()];
        _targetCriticParameters = [.. TargetCritic.parameters()];
        foreach (var p in _targetActorParameters) p.requires_grad = false;
        foreach (var p in _targetCriticParameters) p.requires_grad = false;

        _actorOptimizer = new AdamOptimizer(_actorParameters, options.ActorLearningRate);
        _criticOptimizer = new AdamOptimizer(_criticParameters, options.CriticLearningRate);
        _gamma = options.Gamma.ToScalar();
        _rho = options.Rho.ToScalar();
        _oneMinusRho = (1 - options.Rho).ToScalar();

        // Input tensors are allocated once and refilled per update: no per-update managed garbage.
        var b = options.BatchSize;
        _observations = zeros(b, observationSize);
        _actions = zeros(b, ActionSize);
        _rewards = zeros(b, 1);
        _nextObservations = zeros(b, observationSize);
        _terminated = zeros(b, 1);
    }

    public static DdpgLearner For(EnvironmentSpec spec, DdpgOptions options) =>
        new(spec.ObservationSize, spec.Action.Low, spec.Action.High, options);

    public DdpgOptions Options { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }
    public float[] ActionLow { get; }
    public float[] ActionHigh { get; }
    public ActorNetwork Actor { get; }
    public CriticNetwork Critic { get; }
    public ActorNetwork TargetActor { get; }
    public CriticNetwork TargetCritic { get; }

    /// <summary>Gradient updates performed so far.</summary>
    public long Updates { get; private set; }

    /// <summary>
    /// y = r + γ(1 − d)·Q_targ(s′, μ_targ(s′)), with d the true-termination flag (a time-limit cut has d = 0
    /// and still bootstraps). Shapes: rewards and terminated [B, 1], next observations [B, obs].
    /// </summary>
    public Tensor CriticTarget(Tensor rewards, Tensor terminated, Tensor nextObservations)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var nextQ = TargetCritic.forward(nextObservations, TargetActor.forward(nextObservations));
        var discount = terminated.neg().add_(_one, _one).mul_(_gamma); // γ·(1 − d)
        var target = rewards.add(discount.mul_(nextQ), _one);
        return target.MoveToOuterDisposeScope();
    }

    /// <summary>One DDPG update from a sampled batch.</summary>
    public UpdateResult Update(ReplayBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Size != Options.BatchSize || batch.ObservationSize != ObservationSize || batch.ActionSize != ActionSize)
            throw new ArgumentException("batch shape does not match the learner", nameof(batch));

        Fill(_observations, batch.Observations);
        Fill(_actions, batch.Actions);
        Fill(_rewards, batch.Rewards);
        Fill(_nextObservations, batch.NextObservations);
        Fill(_terminated, batch.Terminated);

        var criticLoss = CriticStep(_observations, _actions, _rewards, _terminated, _nextObservations, out var meanQ);
        var actorLoss = ActorStep(_observations);
        UpdateTargets();
        Updates++;

        var result = new UpdateResult(criticLoss, actorLoss, meanQ);
        if (!double.IsFinite(result.CriticLoss) || !double.IsFinite(result.ActorLoss))
            throw new LearnerDivergedException($"learning diverged at update {Updates}: critic loss {result.CriticLoss}, actor loss {result.ActorLoss}");
        return result;
    }

    /// <summary>One Adam step of the critic on the mean-squared Bellman error against the frozen targets.</summary>
    public double CriticStep(Tensor observations, Tensor actions, Tensor rewards, Tensor terminated, Tensor nextObservations, out double meanQ)
    {
        using var scope = NewDisposeScope();
        var y = CriticTarget(rewards, terminated, nextObservations);
        var q = Critic.forward(observations, actions);
        var loss = nn.functional.mse_loss(q, y);
        _criticOptimizer.ZeroGrad();
        loss.backward();
        _criticOptimizer.Step();
        meanQ = Value(q.mean());
        return Value(loss);
    }

    /// <summary>
    /// One Adam step of the actor ascending Q(s, μ(s)) (descending its negative). Only the actor optimizer steps, so
    /// the critic's weights do not move; the gradients this leaves on the critic are cleared by its next zero_grad.
    /// </summary>
    public double ActorStep(Tensor observations)
    {
        using var scope = NewDisposeScope();
        var loss = ActorLoss(observations);
        _actorOptimizer.ZeroGrad();
        loss.backward();
        _actorOptimizer.Step();
        return Value(loss);
    }

    /// <summary>The actor's loss −mean Q(s, μ(s)) (a scalar with a graph to both networks).</summary>
    public Tensor ActorLoss(Tensor observations)
    {
        using var scope = NewDisposeScope();
        return Critic.forward(observations, Actor.forward(observations)).mean().neg().MoveToOuterDisposeScope();
    }

    /// <summary>Polyak-averages both targets toward the online networks.</summary>
    public void UpdateTargets()
    {
        PolyakAverager.Update(_targetCriticParameters, _criticParameters, _rho, _oneMinusRho);
        PolyakAverager.Update(_targetActorParameters, _actorParameters, _rho, _oneMinusRho);
    }

    // A scalar tensor's value without item<T>(), which leaves a finalizable pinned array behind.
    private static double Value(Tensor scalar) => MemoryMarshal.Cast<byte, float>(scalar.bytes)[0];

    /// <summary>Copies the actor's weights into a new managed, TorchSharp-free policy.</summary>
    public MlpPolicy ExportPolicy()
    {
        var layers = Actor.Layers
            .Select(l => new DenseLayer((int)l.weight!.shape[1], (int)l.weight.shape[0], new float[l.weight.numel()], new float[l.bias!.numel()]))
            .ToArray();
        var policy = new MlpPolicy(layers, ActionLow, ActionHigh);
        CopyActorInto(policy);
        return policy;
    }

    /// <summary>Overwrites the weights of a policy made by <see cref="ExportPolicy"/> with the actor's current ones.</summary>
    public void CopyActorInto(MlpPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var i = 0;
        foreach (var linear in Actor.Layers)
        {
            if (i >= policy.Layers.Count) throw new ArgumentException("policy has fewer layers than the actor", nameof(policy));
            var layer = policy.Layers[i++];
            CopyOut(linear.weight!, layer.Weights);
            CopyOut(linear.bias!, layer.Bias);
        }
        if (i != policy.Layers.Count) throw new ArgumentException("policy has more layers than the actor", nameof(policy));
        policy.Repack();
    }

    /// <summary>
    /// Starts the actor (and its target) from a saved policy, e.g. to fine-tune a pretrained policy online.
    /// The critic keeps its own initialisation.
    /// </summary>
    public void LoadActor(MlpPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var layers = Actor.Layers.ToArray();
        if (layers.Length != policy.Layers.Count)
            throw new ArgumentException($"policy has {policy.Layers.Count} layers, the actor {layers.Length}", nameof(policy));
        using (no_grad())
        {
            for (var i = 0; i < layers.Length; i++)
            {
                var source = policy.Layers[i];
                var weight = layers[i].weight!;
                if (weight.shape[0] != source.Outputs || weight.shape[1] != source.Inputs)
                    throw new ArgumentException($"policy layer {i} is {source.Inputs}→{source.Outputs}, the actor's is {weight.shape[1]}→{weight.shape[0]}", nameof(policy));
                using var w = tensor(source.Weights).reshape(source.Outputs, source.Inputs);
                using var b = tensor(source.Bias);
                weight.copy_(w);
                layers[i].bias!.copy_(b);
            }
        }
        PolyakAverager.HardCopy(TargetActor, Actor);
    }

    private static void CopyOut(Tensor source, float[] destination)
    {
        if (source.numel() != destination.Length) throw new ArgumentException("policy layer shape does not match the actor");
        using var noGrad = no_grad();
        source.bytes.CopyTo(MemoryMarshal.AsBytes(destination.AsSpan()));
    }

    /// <summary>Writes networks and optimizer states (the learner part of a checkpoint).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Updates);
        Actor.save(writer);
        Critic.save(writer);
        TargetActor.save(writer);
        TargetCritic.save(writer);
        _actorOptimizer.Save(writer);
        _criticOptimizer.Save(writer);
    }

    public void Load(BinaryReader reader)
    {
        Updates = reader.ReadInt64();
        Actor.load(reader);
        Critic.load(reader);
        TargetActor.load(reader);
        TargetCritic.load(reader);
        _actorOptimizer.Load(reader);
        _criticOptimizer.Load(reader);
    }

    public void Dispose()
    {
        _actorOptimizer.Dispose();
        _criticOptimizer.Dispose();
        Actor.Dispose();
        Critic.Dispose();
        TargetActor.Dispose();
        TargetCritic.Dispose();
        _observations.Dispose();
        _actions.Dispose();
        _rewards.Dispose();
        _nextObservations.Dispose();
        _terminated.Dispose();
        _gamma.Dispose();
        _rho.Dispose();
        _oneMinusRho.Dispose();
        _one.Dispose();
    }

    private static void Fill(Tensor destination, float[] source) =>
        MemoryMarshal.AsBytes(source.AsSpan()).CopyTo(destination.bytes);
}

/// <summary>The learner produced a non-finite loss; training must stop and the last good policy be kept.</summary>
public sealed class LearnerDivergedException(string message) : Exception(message);
