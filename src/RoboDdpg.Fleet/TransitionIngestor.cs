using System.Text.Json;
using RoboDdpg.Core.IO;
using RoboDdpg.Core.Replay;

namespace RoboDdpg.Fleet;

/// <summary>Per-robot accounting of the learner's ingest.</summary>
/// <param name="Accepted">Transitions put into the replay buffer.</param>
/// <param name="Duplicates">Transitions received again (resends) and dropped.</param>
/// <param name="Missing">Sequence numbers below the highest one seen that never arrived, over all epochs.</param>
/// <param name="Epochs">Numberings seen (actor process starts).</param>
public sealed record RobotAccount(string RobotId, long Accepted, long Duplicates, long Batches, long Missing, int Epochs, DateTimeOffset LastSeenUtc);

/// <summary>Totals of the learner's ingest.</summary>
public readonly record struct IngestStatus(long Accepted, long Duplicates, long Batches, long Malformed, int Robots, long Missing);

/// <summary>
/// The learner's side of the transition stream: decodes batches from every robot, refuses malformed ones (counted
/// and dropped, never thrown: bad magic or version, sizes that do not match the learner's environment, a topic that
/// does not match the robot id inside, non-finite values), drops duplicates by robot id, epoch and sequence number,
/// and adds the new transitions to one replay buffer with per-robot accounting. The replay buffer takes one producer
/// at a time, so handling is serialized; <see cref="RunExclusive"/> holds ingest off while a checkpoint is written.
/// </summary>
public sealed class TransitionIngestor
{
    private readonly FleetTopics _topics;
    private readonly ITransitionSink _sink;
    private readonly Action<string>? _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Robot> _robots = new(StringComparer.Ordinal);
    private readonly List<(ulong Start, ulong End)> _added = [];
    private long _accepted, _duplicates, _batches, _malformed;
    private string? _lastMalformed;

    public TransitionIngestor(FleetTopics topics, ITransitionSink sink, Action<string>? log = null)
    {
        _topics = topics ?? throw new ArgumentNullException(nameof(topics));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _log = log;
    }

    public IngestStatus Status
    {
        get
        {
            lock (_gate)
                return new IngestStatus(_accepted, _duplicates, _batches, _malformed, _robots.Count,
                    _robots.Values.Sum(r => r.Epochs.Values.Sum(e => (long)e.Missing)));
        }
    }

    /// <summary>Transitions accepted so far (cheap, lock-free read).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    public string? LastMalformed
    {
        get { lock (_gate) return _lastMalformed; }
    }

    public IReadOnlyList<RobotAccount> Robots
    {
        get
        {
            lock (_gate)
            {
                return _robots.Values.OrderBy(r => r.Id, StringComparer.Ordinal)
                    .Select(r => new RobotAccount(r.Id, r.Accepted, r.Duplicates, r.Batches, r.Epochs.Values.Sum(e => (long)e.Missing), r.Epochs.Count, r.LastSeen))
                    .ToList();
            }
        }
    }

    /// <summary>The received ranges of one robot epoch (for tests and reports).</summary>
    public IReadOnlyList<(ulong Start, ulong End)> Ranges(string robotId, ulong epoch)
    {
        lock (_gate)
            return _robots.TryGetValue(robotId, out var r) && r.Epochs.TryGetValue(epoch, out var ranges) ? [.. ranges.Ranges] : [];
    }

    /// <summary>Handles one message from a transition topic. Returns the transitions added.</summary>
    public int Handle(string topic, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            var topicRobot = _topics.RobotOfTransitionTopic(topic);
            if (topicRobot is null) return Malformed($"topic '{topic}' is not a transition topic of fleet '{_topics.Fleet}'");
            if (!TransitionBatch.TryParse(payload, out var header, out var records, out var error)) return Malformed($"from '{topicRobot}': {error}");
            if (header.RobotId != topicRobot) return Malformed($"batch on '{topic}' names robot '{header.RobotId}'");
            if (header.ObservationSize != _sink.ObservationSize || header.ActionSize != _sink.ActionSize)
                return Malformed($"from '{topicRobot}': {header.ObservationSize} observations and {header.ActionSize} actions, the learner's environment has {_sink.ObservationSize} and {_sink.ActionSize}");
            var stride = header.RecordFloats;
            int o = header.ObservationSize, a = header.ActionSize;
            for (var i = 0; i < header.Count; i++)
            {
                var record = records.Slice(i * stride, stride);
                foreach (var v in record)
                {
                    if (!float.IsFinite(v)) return Malformed($"from '{topicRobot}': transition {header.FirstSequence + (ulong)i} holds a non-finite value");
                }
                if (record[^1] is not (0f or 1f)) return Malformed($"from '{topicRobot}': transition {header.FirstSequence + (ulong)i} has a terminated flag of {record[^1]}");
            }

            if (!_robots.TryGetValue(header.RobotId, out var robot))
            {
                robot = new Robot(header.RobotId);
                _robots.Add(robot.Id, robot);
                _log?.Invoke($"robot '{robot.Id}' joined");
            }
            if (!robot.Epochs.TryGetValue(header.Epoch, out var ranges))
            {
                ranges = new SequenceRanges();
                robot.Epochs.Add(header.Epoch, ranges);
            }
            robot.Batches++;
            _batches++;
            robot.LastSeen = DateTimeOffset.UtcNow;
            ranges.AddNew(header.FirstSequence, header.FirstSequence + (ulong)header.Count, _added);
            var added = 0;
            foreach (var (start, end) in _added)
            {
                for (var s = start; s < end; s++)
                {
                    var record = records.Slice((int)(s - header.FirstSequence) * stride, stride);
                    _sink.Add(record[..o], record.Slice(o, a), record[o + a], record.Slice(o + a + 1, o), record[^1] != 0f);
                    added++;
                }
            }
            var duplicates = header.Count - added;
            robot.Accepted += added;
            robot.Duplicates += duplicates;
            Interlocked.Add(ref _accepted, added);
            _duplicates += duplicates;
            return added;
        }
    }

    /// <summary>
    /// Per robot and epoch, the end of the gap-free prefix of received sequence numbers, for the epochs that changed
    /// since the last call (or all recently seen ones when <paramref name="all"/>): what the learner acknowledges.
    /// </summary>
    public List<(string RobotId, ulong Epoch, ulong ContiguousEnd)> TakeAcknowledgements(bool all)
    {
        var result = new List<(string, ulong, ulong)>();
        lock (_gate)
        {
            var recent = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(60);
            foreach (var robot in _robots.Values)
            {
                foreach (var (epoch, ranges) in robot.Epochs)
                {
                    var end = ranges.Ranges.Count > 0 && ranges.Ranges[0].Start == 0 ? ranges.Ranges[0].End : 0;
                    var changed = !robot.Acked.TryGetValue(epoch, out var acked) || acked != end;
                    if (changed || (all && robot.LastSeen >= recent))
                    {
                        robot.Acked[epoch] = end;
                        result.Add((robot.Id, epoch, end));
                    }
                }
            }
        }
        return result;
    }

    /// <summary>Runs <paramref name="action"/> with ingest held off (e.g. while the replay buffer is saved).</summary>
    public void RunExclusive(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate) action();
    }

    private int Malformed(string reason)
    {
        _malformed++;
        // The first few in full, then every 1000th: a misbehaving client must not flood the log.
        if (_malformed <= 10 || _malformed % 1000 == 0) _log?.Invoke($"dropped a malformed transition batch ({_malformed} so far): {reason}");
        _lastMalformed = reason;
        return 0;
    }

    // ---- state kept beside the checkpoint, so a restarted learner still recognizes resent transitions ----

    private sealed record SavedEpoch(ulong Epoch, ulong[][] Ranges);

    private sealed record SavedRobot(string Id, long Accepted, long Duplicates, long Batches, DateTimeOffset LastSeen, SavedEpoch[] Epochs);

    private sealed record SavedState(int Version, long Accepted, long Duplicates, long Batches, long Malformed, SavedRobot[] Robots);

    /// <summary>Writes the sequence accounting (call inside <see cref="RunExclusive"/> together with the replay buffer's save).</summary>
    public void SaveState(string path)
    {
        lock (_gate)
        {
            var state = new SavedState(1, _accepted, _duplicates, _batches, _malformed,
                _robots.Values.Select(r => new SavedRobot(r.Id, r.Accepted, r.Duplicates, r.Batches, r.LastSeen,
                    r.Epochs.Select(e => new SavedEpoch(e.Key, e.Value.Ranges.Select(x => new[] { x.Start, x.End }).ToArray())).ToArray())).ToArray());
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(state) + "\n");
        }
    }

    /// <summary>Restores the accounting written by <see cref="SaveState"/>; a bad file is a one-line <see cref="FleetConfigException"/>.</summary>
    public void LoadState(string path)
    {
        SavedState? state;
        try
        {
            state = JsonSerializer.Deserialize<SavedState>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new FleetConfigException($"{path}: cannot read the learner's fleet state ({e.Message.Split('\n')[0]})");
        }
        if (state is null || state.Version != 1 || state.Robots is null) throw new FleetConfigException($"{path}: fleet state is malformed");
        lock (_gate)
        {
            _robots.Clear();
            _accepted = state.Accepted;
            _duplicates = state.Duplicates;
            _batches = state.Batches;
            _malformed = state.Malformed;
            foreach (var saved in state.Robots)
            {
                var robot = new Robot(saved.Id) { Accepted = saved.Accepted, Duplicates = saved.Duplicates, Batches = saved.Batches, LastSeen = saved.LastSeen };
                foreach (var epoch in saved.Epochs)
                {
                    if (epoch.Ranges.Any(r => r.Length != 2 || r[1] < r[0])) throw new FleetConfigException($"{path}: fleet state holds an invalid range");
                    robot.Epochs[epoch.Epoch] = SequenceRanges.FromRanges(epoch.Ranges.Select(r => (r[0], r[1])));
                }
                _robots[saved.Id] = robot;
            }
        }
    }

    private sealed class Robot(string id)
    {
        public string Id { get; } = id;
        public Dictionary<ulong, SequenceRanges> Epochs { get; } = [];
        public Dictionary<ulong, ulong> Acked { get; } = [];
        public long Accepted { get; set; }
        public long Duplicates { get; set; }
        public long Batches { get; set; }
        public DateTimeOffset LastSeen { get; set; }
    }
}
