using System.Text.RegularExpressions;

namespace RoboDdpg.Fleet;

/// <summary>
/// The topic layout of one fleet (see README.md): everything lives under <c>roboddpg/{fleet}/</c>, so several
/// fleets (or tests) can share one broker.
/// <list type="bullet">
/// <item><c>roboddpg/{fleet}/transitions/{robot}</c> — transition batches from one robot, QoS 1, not retained.</item>
/// <item><c>roboddpg/{fleet}/policy</c> — the newest signed policy snapshot, QoS 1, retained (a robot that connects gets it at once).</item>
/// <item><c>roboddpg/{fleet}/ack/{robot}</c> — the learner's acknowledgement of what it holds, QoS 1, not retained.</item>
/// <item><c>roboddpg/{fleet}/status/{robot}</c> — a robot's status (JSON), retained; its last will says "offline".</item>
/// <item><c>roboddpg/{fleet}/status/learner</c> — the learner's status (JSON), retained; last will "offline".</item>
/// </list>
/// </summary>
public sealed partial class FleetTopics
{
    public const string Root = "roboddpg";
    public const string DefaultFleet = "default";
    public const int MaxNameLength = 64;

    public FleetTopics(string fleet)
    {
        Fleet = ValidateName(fleet, "fleet name");
        Prefix = $"{Root}/{fleet}/";
        Policy = Prefix + "policy";
        TransitionsFilter = Prefix + "transitions/+";
        LearnerStatus = Prefix + "status/learner";
    }

    public string Fleet { get; }
    public string Prefix { get; }
    public string Policy { get; }

    /// <summary>Subscription filter matching every robot's transition topic.</summary>
    public string TransitionsFilter { get; }

    public string LearnerStatus { get; }

    public string Transitions(string robotId) => Prefix + "transitions/" + robotId;

    public string RobotStatus(string robotId) => Prefix + "status/" + robotId;

    /// <summary>Where the learner acknowledges a robot's transitions (what it holds, gap-free from sequence 0).</summary>
    public string Ack(string robotId) => Prefix + "ack/" + robotId;

    /// <summary>The robot id of a transition topic, or null when the topic is not one of this fleet's transition topics.</summary>
    public string? RobotOfTransitionTopic(string topic)
    {
        var head = Prefix + "transitions/";
        if (!topic.StartsWith(head, StringComparison.Ordinal)) return null;
        var id = topic[head.Length..];
        return IsValidName(id) ? id : null;
    }

    /// <summary>Robot ids and fleet names: 1–64 characters of letters, digits, '-', '_' or '.', so they are safe in topics and file names.</summary>
    public static bool IsValidName(string? name) => name is { Length: > 0 and <= MaxNameLength } && NamePattern().IsMatch(name) && name != "learner";

    public static string ValidateName(string name, string what) =>
        IsValidName(name) ? name : throw new FleetConfigException($"{what} '{name}' is invalid: use 1–{MaxNameLength} letters, digits, '-', '_' or '.' (and not 'learner')");

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex NamePattern();
}
