using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Learning.Training;

/// <summary>Trainer state beyond the networks and the replay buffer, stored as JSON in the checkpoint header.</summary>
internal sealed record TrainerState(
    string Environment,
    DdpgOptions Ddpg,
    TrainingOptions Training,
    long EnvSteps,
    long Episodes,
    ulong[] Rng,
    double[] Noise,
    double UpdateBudget,
    long? FirstStepReachingMinus200,
    double WallSeconds);

/// <summary>What an online checkpoint holds besides networks and replay buffer.</summary>
/// <param name="LearnerRng">State of the learner thread's sampling generator.</param>
public sealed record OnlineCheckpointState(string Environment, DdpgOptions Ddpg, long Transitions, long Episodes, ulong[] LearnerRng, double WallSeconds);

/// <summary>A checkpoint that cannot be used; the message names the file and the problem in one line.</summary>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One-file checkpoint: magic "RDDPGCKP", version, trainer state JSON, learner (actor, critic, both targets,
/// both optimizer states), replay buffer, then a SHA-256 of everything before it. Written with
/// <see cref="AtomicFile"/>, so an interrupted save leaves the previous checkpoint in place.
/// </summary>
public static class CheckpointFile
{
    private static ReadOnlySpan<byte> Magic => "RDDPGCKP"u8;
    private const int FormatVersion = 1;

    internal static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    internal static void Save(string path, TrainerState state, DdpgLearner learner, ReplayBuffer replay)
    {
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            var json = JsonSerializer.SerializeToUtf8Bytes(state, Json);
            writer.Write(json.Length);
            writer.Write(json);
            learner.Save(writer);
            replay.Save(writer);
        }
        var hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        AtomicFile.Write(path, s =>
        {
            s.Write(body.GetBuffer(), 0, (int)body.Length);
            s.Write(hash);
        });
    }

    /// <summary>
    /// Checkpoint of an online run (<c>roboddpg run --learn</c>): the same file a training run writes, so
    /// <c>train --resume</c> can continue it offline.
    /// </summary>
    public static void SaveOnline(string path, string environment, DdpgOptions ddpg, DdpgLearner learner, ReplayBuffer replay,
        long episodes, ulong seed, ulong[] rngState, double[] noiseState, double wallSeconds)
    {
        var training = new TrainingOptions { TotalSteps = Math.Max(1, replay.TotalAdded), Seed = seed };
        var state = new TrainerState(environment, ddpg, training, replay.TotalAdded, episodes, rngState, noiseState, 0, null, wallSeconds);
        Save(path, state, learner, replay);
    }

    /// <summary>The settings a checkpoint's networks were built with and the environment they were trained on.</summary>
    public static (string Environment, DdpgOptions Ddpg) ReadNetworkSettings(string path)
    {
        var state = ReadState(path);
        return (state.Environment, state.Ddpg);
    }

    /// <summary>
    /// Loads a checkpoint's actor, critic, their targets and optimizer states into <paramref name="learner"/> (built with
    /// the checkpoint's hidden sizes), leaving its replay buffer behind: fine-tuning on another plant starts from the
    /// pretrained networks with fresh experience.
    /// </summary>
    public static void LoadNetworks(string path, DdpgLearner learner) => LoadNetworks(path, learner, withReplay: false);

    /// <summary>
    /// Like <see cref="LoadNetworks(string, DdpgLearner)"/>, and also returns the checkpoint's replay buffer: fine-tuning
    /// then learns from the old experience mixed with the new, which keeps a critic fed by a few thousand fresh
    /// transitions from overfitting them.
    /// </summary>
    public static ReplayBuffer LoadNetworksAndReplay(string path, DdpgLearner learner) => LoadNetworks(path, learner, withReplay: true)!;

    private static ReplayBuffer? LoadNetworks(string path, DdpgLearner learner, bool withReplay)
    {
        using var reader = OpenVerified(path);
        ReadHeader(reader, path);
        try
        {
            learner.Load(reader);
            return withReplay ? ReplayBuffer.Load(reader) : null;
        }
        catch (Exception e) when (e is not CheckpointFormatException)
        {
            throw new CheckpointFormatException($"{path}: networks do not fit this environment ({FirstLine(e.Message)})", e);
        }
    }

    /// <summary>
    /// Reads back an online checkpoint (<see cref="SaveOnline"/>) to continue it online, e.g. a fleet learner restarting:
    /// loads the networks into <paramref name="learner"/> (made with <see cref="ReadOnline"/>'s options) and the replay buffer.
    /// </summary>
    public static void LoadOnline(string path, DdpgLearner learner, out ReplayBuffer replay) => LoadInto(path, learner, out replay);

    /// <summary>The settings and counters an online checkpoint was saved with.</summary>
    public static OnlineCheckpointState ReadOnline(string path)
    {
        var state = ReadState(path);
        return new OnlineCheckpointState(state.Environment, state.Ddpg, state.EnvSteps, state.Episodes, state.Rng, state.WallSeconds);
    }

    internal static TrainerState ReadState(string path)
    {
        using var reader = OpenVerified(path);
        return ReadHeader(reader, path);
    }

    internal static void LoadInto(string path, DdpgLearner learner, out ReplayBuffer replay)
    {
        using var reader = OpenVerified(path);
        ReadHeader(reader, path);
        try
        {
            learner.Load(reader);
            replay = ReplayBuffer.Load(reader);
        }
        catch (Exception e) when (e is not CheckpointFormatException)
        {
            throw new CheckpointFormatException($"{path}: checkpoint does not match its own settings ({FirstLine(e.Message)})", e);
        }
    }

    private static BinaryReader OpenVerified(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointFormatException($"{path}: checkpoint not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException($"{path}: cannot read checkpoint ({FirstLine(e.Message)})");
        }
        if (bytes.Length < Magic.Length + 8 + SHA256.HashSizeInBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointFormatException($"{path}: not a RoboDdpg checkpoint");
        var bodyLength = bytes.Length - SHA256.HashSizeInBytes;
        if (!SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
            throw new CheckpointFormatException($"{path}: checksum mismatch (checkpoint is corrupted or truncated)");
        return new BinaryReader(new MemoryStream(bytes, 0, bodyLength, writable: false));
    }

    private static TrainerState ReadHeader(BinaryReader reader, string path)
    {
        reader.ReadBytes(Magic.Length);
        var version = reader.ReadInt32();
        if (version != FormatVersion)
            throw new CheckpointFormatException($"{path}: checkpoint format {version} is not supported (expected {FormatVersion})");
        var length = reader.ReadInt32();
        if (length <= 0 || length > reader.BaseStream.Length)
            throw new CheckpointFormatException($"{path}: checkpoint header is malformed");
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(reader.ReadBytes(length), Json)
                   ?? throw new CheckpointFormatException($"{path}: checkpoint header is empty");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"{path}: checkpoint header is malformed ({FirstLine(e.Message)})", e);
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
