using System.CommandLine;
using RoboDdpg.Cli.Commands;
using RoboDdpg.Fleet;

namespace RoboDdpg.Cli.Fleet;

/// <summary>The broker and fleet options shared by <c>actor</c> and <c>learner</c>.</summary>
internal sealed class FleetOptionSet
{
    public readonly Option<string?> Broker = OptionFactory.Create<string?>("--broker", "MQTT broker: mqtt://host[:1883] or mqtts://host[:8883] (TLS)", null);
    public readonly Option<string> Fleet = OptionFactory.Create("--fleet", "fleet name: the topic prefix roboddpg/<fleet>/ shared by its learner and robots", FleetTopics.DefaultFleet);
    public readonly Option<string?> FleetKey = OptionFactory.Create<string?>("--fleet-key", "file with the fleet's secret key (hex) that signs policy snapshots", null);
    public readonly Option<string?> Username = OptionFactory.Create<string?>("--username", "broker login name", null);
    public readonly Option<string?> PasswordFile = OptionFactory.Create<string?>("--password-file", "file whose first line is the broker password (kept off the command line)", null);
    public readonly Option<string?> CaFile = OptionFactory.Create<string?>("--ca-file", "TLS: CA certificate (PEM or DER) to trust for the broker's certificate", null);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Broker, Fleet, FleetKey, Username, PasswordFile, CaFile }) command.Options.Add(option);
    }

    public FleetTopics Topics(ParseResult parse) => new(parse.GetValue(Fleet)!);

    /// <summary>Broker settings from --broker (or <paramref name="uri"/>), --username, --password-file and --ca-file.</summary>
    public BrokerOptions BrokerOptions(ParseResult parse, string? uri = null)
    {
        var text = uri ?? parse.GetValue(Broker) ?? throw new CliError("--broker URI is required (e.g. mqtt://learner-pc:1883)");
        var options = RoboDdpg.Fleet.BrokerOptions.Parse(text);
        var user = parse.GetValue(Username) ?? options.Username;
        var password = parse.GetValue(PasswordFile) is { } file ? RoboDdpg.Fleet.BrokerOptions.ReadPasswordFile(file) : null;
        if (password is not null && user is null) throw new CliError("--password-file needs --username");
        var ca = parse.GetValue(CaFile);
        if (ca is not null && !options.UseTls) throw new CliError("--ca-file is for TLS brokers (mqtts://)");
        return options with
        {
            Username = user,
            Password = password,
            TrustedCertificates = ca is null ? null : RoboDdpg.Fleet.BrokerOptions.ReadCertificates(ca),
        };
    }
}
