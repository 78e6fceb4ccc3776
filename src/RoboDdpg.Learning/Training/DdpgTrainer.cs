using System.Diagnostics;
using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Exploration;
using RoboDdpg.Core.Policy;
using RoboDdpg.Core.Random;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Learning.Training;

/// <summary>
/// Off-policy DDPG training on one environment: warm-up with uniform random actions, then the policy plus
/// exploration noise, every transition into the replay ring, and learner updates at the configured
/// update-to-data ratio. All randomness (environment resets, noise, sampling) comes from one saved generator,
/// so a run is reproducible per seed and a resumed run continues the same stream.
/// </summary>
public sealed class DdpgTrainer : IDisposable
{
    private readonly IEnvironment _environment;
    private readonly IEnvironment _evalEnvironment;
    private readonly Xoshiro256 _rng;
    private readonly IExplorationNoise _noise;
    private readonly ReplayBatch _batch;
    private readonly MlpPolicy _policy;
    private readonly float[] _observation;
    private readonly float[] _nextObservation;
    private readonly float[] _action;
    private readonly float[] _noiseSample;
    private double _updateBudget;
    private double _episodeReturn;
    private int _episodeLength;
    private bool _episodeActive;
    private UpdateResult? _lastUpdate;
    private double _updateSeconds;

    /// <param name="environmentFactory">Makes the training environment.</param>
    /// <param name="evaluationFactory">Makes the evaluation environment (default: the training factory), e.g. the
    /// nominal plant when training randomizes it.</param>
    public DdpgTrainer(Func<IEnvironment> environmentFactory, DdpgOptions ddpg, TrainingOptions training, Func<IEnvironment>? evaluationFactory = null)
        : this(environmentFactory, evaluationFactory ?? environmentFactory, ddpg, training, state: null) { }

    private DdpgTrainer(Func<IEnvironment> environmentFactory, Func<IEnvironment> evaluationFactory, DdpgOptions ddpg, TrainingOptions training, TrainerState? state)
    {
        ArgumentNullException.ThrowIfNull(environmentFactory);
        ddpg.Validate();
        training.Validate();
        Ddpg = ddpg;
        Training = training;
        _environment = environmentFactory().Start();
        _evalEnvironment = evaluationFactory().Start();
        Spec = _environment.Spec;

        TorchSharp.torch.set_num_threads(ddpg.Threads);
        TorchSharp.torch.manual_seed((long)(training.Seed & long.MaxValue));
        Learner = DdpgLearner.For(Spec, ddpg);
        Replay = new ReplayBuffer(ddpg.ReplayCapacity, Spec.ObservationSize, Spec.ActionSize);
        _rng = new Xoshiro256(training.Seed);
        _noise = ddpg.Noise switch
        {
            NoiseKind.Gaussian => new GaussianNoise(Spec.ActionSize, ddpg.NoiseSigma, _rng),
            NoiseKind.OrnsteinUhlenbeck => new OrnsteinUhlenbeckNoise(Spec.ActionSize, ddpg.NoiseSigma, _rng, ddpg.OuTheta, ddpg.OuDt),
            _ => throw new ArgumentException($"unknown noise kind {ddpg.Noise}"),
        };
        _batch = new ReplayBatch(ddpg.BatchSize, Spec.ObservationSize, Spec.ActionSize);
        _policy = Learner.ExportPolicy();
        _observation = new float[Spec.ObservationSize];
        _nextObservation = new float[Spec.ObservationSize];
        _action = new float[Spec.ActionSize];
        _noiseSample = new float[Spec.ActionSize];
        if (state is not null) Restore(state);
    }

    public EnvironmentSpec Spec { get; }
    public DdpgOptions Ddpg { get; }
    public TrainingOptions Training { get; private set; }
    public DdpgLearner Learner { get; }
    public ReplayBuffer Replay { get; private set; }
    public long EnvSteps { get; private set; }
    public long Episodes { get; private set; }

    /// <summary>Environment step of the first periodic evaluation with mean return ≥ −200, if any.</summary>
    public long? FirstStepReachingMinus200 { get; private set; }

    /// <summary>Training wall time, accumulated across resumed sessions.</summary>
    public double WallSeconds { get; private set; }

    /// <summary>Mean wall time of one learner update in this session, in milliseconds.</summary>
    public double UpdateMillisecondsMean { get; private set; }

    private long _sessionUpdates;

    /// <summary>
    /// Trains until <see cref="TrainingOptions.TotalSteps"/> or cancellation. Writes a checkpoint to
    /// <paramref name="checkpointPath"/> every <see cref="TrainingOptions.CheckpointInterval"/> steps when given.
    /// Returns true when the step budget was reached, false when cancelled.
    /// </summary>
    public bool Run(ITrainingObserver? observer = null, string? checkpointPath = null, CancellationToken cancellation = default)
    {
        observer ??= NullObserver.Instance;
        var clock = Stopwatch.StartNew();
        var wallAtStart = WallSeconds;
        long stepsAtStart = EnvSteps, updatesAtStart = Learner.Updates;
        var lastProgress = TimeSpan.Zero;
        double? lastReturn = null, lastEval = null;

        while (EnvSteps < Training.TotalSteps && !cancellation.IsCancellationRequested)
        {
            if (!_episodeActive) BeginEpisode();

            ChooseAction();
            var step = _environment.Step(_action, _nextObservation);
            Replay.Add(_observation, _action, (float)step.Reward, _nextObservation, step.Terminated);
            EnvSteps++;
            _episodeReturn += step.Reward;
            _episodeLength++;
            _nextObservation.CopyTo(_observation, 0);

            if (step.EpisodeEnded)
            {
                Episodes++;
                _episodeActive = false;
                lastReturn = _episodeReturn;
                WallSeconds = wallAtStart + clock.Elapsed.TotalSeconds;
                observer.OnEpisode(new EpisodeRecord(Episodes, EnvSteps, Learner.Updates, _episodeReturn, _episodeLength,
                    step.Terminated, _lastUpdate?.CriticLoss, _lastUpdate?.ActorLoss, WallSeconds));
            }

            if (EnvSteps > Ddpg.WarmupSteps && Replay.Count >= Ddpg.BatchSize)
                Learn();

            if (Training.EvalInterval > 0 && EnvSteps % Training.EvalInterval == 0)
            {
                WallSeconds = wallAtStart + clock.Elapsed.TotalSeconds;
                var evaluation = Evaluate();
                lastEval = evaluation.MeanReturn;
                if (FirstStepReachingMinus200 is null && evaluation.MeanReturn >= -200) FirstStepReachingMinus200 = EnvSteps;
                observer.OnEvaluation(evaluation);
            }

            if (checkpointPath is not null && Training.CheckpointInterval > 0 && EnvSteps % Training.CheckpointInterval == 0)
            {
                WallSeconds = wallAtStart + clock.Elapsed.TotalSeconds;
                SaveCheckpoint(checkpointPath);
                observer.OnCheckpoint(checkpointPath);
            }

            if (clock.Elapsed - lastProgress > TimeSpan.FromMilliseconds(200) || EnvSteps == Training.TotalSteps)
            {
                lastProgress = clock.Elapsed;
                var seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                observer.OnProgress(new TrainingProgress(EnvSteps, Training.TotalSteps, Learner.Updates, Episodes, lastReturn, lastEval,
                    (EnvSteps - stepsAtStart) / seconds, (Learner.Updates - updatesAtStart) / seconds));
            }
        }
        WallSeconds = wallAtStart + clock.Elapsed.TotalSeconds;
        return EnvSteps >= Training.TotalSteps;
    }

    /// <summary>The most recent evaluation, periodic or explicit.</summary>
    public EvaluationRecord? LastEvaluation { get; private set; }

    /// <summary>Evaluates the current deterministic policy on the evaluation seeds.</summary>
    public EvaluationRecord Evaluate()
    {
        var result = PolicyEvaluator.Evaluate(_evalEnvironment, _policy, Training.EvalEpisodes, Training.EvalSeed);
        LastEvaluation = new EvaluationRecord(EnvSteps, Learner.Updates, result.Mean, result.StdDev, Training.EvalEpisodes, WallSeconds);
        return LastEvaluation;
    }

    /// <summary>A copy of the current actor as a managed policy.</summary>
    public MlpPolicy ExportPolicy() => Learner.ExportPolicy();

    private void BeginEpisode()
    {
        _environment.Reset(_rng.NextUInt64(), _observation);
        _noise.Reset();
        _episodeReturn = 0;
        _episodeLength = 0;
        _episodeActive = true;
    }

    private void ChooseAction()
    {
        var low = Spec.Action.Low;
        var high = Spec.Action.High;
        if (EnvSteps < Ddpg.WarmupSteps)
        {
            for (var i = 0; i < _action.Length; i++)
                _action[i] = (float)_rng.NextUniform(low[i], high[i]);
            return;
        }
        _policy.Act(_observation, _action);
        _noise.Sample(_noiseSample);
        for (var i = 0; i < _action.Length; i++)
        {
            var halfRange = (high[i] - low[i]) / 2f;
            _action[i] = Math.Clamp(_action[i] + _noiseSample[i] * halfRange, low[i], high[i]);
        }
    }

    private void Learn()
    {
        _updateBudget += Ddpg.UpdatesPerStep;
        var started = Stopwatch.GetTimestamp();
        var updated = false;
        while (_updateBudget >= 1)
        {
            _updateBudget -= 1;
            Replay.Sample(_rng, _batch);
            _lastUpdate = Learner.Update(_batch);
            _sessionUpdates++;
            updated = true;
            if (Learner.Updates % Training.PolicyRefreshInterval == 0) Learner.CopyActorInto(_policy);
        }
        if (updated)
        {
            _updateSeconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
            UpdateMillisecondsMean = 1000 * _updateSeconds / _sessionUpdates;
        }
    }

    /// <summary>Writes the whole training state atomically (temp file + rename).</summary>
    public void SaveCheckpoint(string path)
    {
        var state = new TrainerState(Spec.Name, Ddpg, Training, EnvSteps, Episodes, _rng.GetState(), _noise.GetState(),
            _updateBudget, FirstStepReachingMinus200, WallSeconds);
        CheckpointFile.Save(path, state, Learner, Replay);
    }

    /// <summary>Makes the environment a checkpoint names, configured by its training options; evaluation or training.</summary>
    public delegate IEnvironment EnvironmentFactory(string name, TrainingOptions training, bool forEvaluation);

    /// <summary>
    /// Rebuilds a trainer from a checkpoint. The interrupted episode (if any) is not continued: the next step starts
    /// a fresh episode, drawn from the restored random stream. <paramref name="totalSteps"/> replaces the step budget.
    /// </summary>
    public static DdpgTrainer Resume(string checkpointPath, EnvironmentFactory environmentFactory, long? totalSteps = null)
    {
        var state = CheckpointFile.ReadState(checkpointPath);
        var training = totalSteps is { } n ? state.Training with { TotalSteps = n } : state.Training;
        var trainer = new DdpgTrainer(() => environmentFactory(state.Environment, training, forEvaluation: false),
            () => environmentFactory(state.Environment, training, forEvaluation: true), state.Ddpg, training, state);
        try
        {
            CheckpointFile.LoadInto(checkpointPath, trainer.Learner, out var replay);
            trainer.Replay = replay;
            trainer.Learner.CopyActorInto(trainer._policy);
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    private void Restore(TrainerState state)
    {
        EnvSteps = state.EnvSteps;
        Episodes = state.Episodes;
        _rng.SetState(state.Rng); // in place: the noise holds a reference to this generator
        _noise.SetState(state.Noise);
        _updateBudget = state.UpdateBudget;
        FirstStepReachingMinus200 = state.FirstStepReachingMinus200;
        WallSeconds = state.WallSeconds;
    }

    public void Dispose()
    {
        _environment.Dispose();
        _evalEnvironment.Dispose();
        Learner.Dispose();
    }

    private sealed class NullObserver : ITrainingObserver
    {
        public static readonly NullObserver Instance = new();
    }
}
