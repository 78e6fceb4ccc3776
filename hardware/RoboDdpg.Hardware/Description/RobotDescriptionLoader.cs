using System.Globalization;
using RoboDdpg.Hardware.Devices;

namespace RoboDdpg.Hardware.Description;

/// <summary>
/// Reads and validates robot description files: JSON with comments and trailing commas, snake_case fields (the format
/// is described in hardware/README.md, "Robot description files"). Every problem is reported as a one-line
/// <see cref="RobotDescriptionException"/> "file:line: what is wrong", naming the field, device or value.
/// </summary>
public static class RobotDescriptionLoader
{
    /// <summary>Highest accepted control rate.</summary>
    public const double MaxControlRateHz = 10_000;

    /// <summary>Lowest and highest 7-bit I2C address a device may use (0x00–0x02 and 0x78–0x7F are reserved).</summary>
    public const int MinI2cAddress = 0x03, MaxI2cAddress = 0x77;

    /// <summary>Staleness limit of an observation entry that does not set max_age_ticks.</summary>
    public const int DefaultMaxAgeTicks = 2;

    /// <summary>Reads and validates a description file.</summary>
    /// <exception cref="RobotDescriptionException">Anything wrong, with file and line.</exception>
    public static RobotDescription Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RobotDescriptionException(path, null, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RobotDescriptionException(path, null, $"cannot read: {e.Message.ReplaceLineEndings(" ").Trim()}", e);
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Parses and validates description JSON; <paramref name="path"/> names its origin in errors and is the base of
    /// the relative emulation parameter file.
    /// </summary>
    /// <exception cref="RobotDescriptionException">Anything wrong, with file and line.</exception>
    public static RobotDescription Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        return new DescriptionReader(path).Read(JsonNode.Parse(text, path));
    }

    /// <summary>Device, observation and action names: lower-case letters, digits, '_' and '-'.</summary>
    internal static bool IsName(string name)
    {
        if (name.Length == 0) return false;
        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-')) return false;
        }
        return true;
    }

    /// <summary>One file's reading: the file name for messages, and what has been read so far.</summary>
    private sealed class DescriptionReader(string file)
    {
        private static readonly string[] RootFields =
            ["name", "control_rate_hz", "max_episode_steps", "devices", "observation", "action", "safe_action", "reward",
             "termination", "faults", "emulation", "settle_seconds", "trace"];
        private static readonly string[] TraceFields = ["state", "actions", "outputs"];
        private static readonly string[] TraceSignalFields = ["signal", "offset"];
        private static readonly string[] ObservationFields = ["name", "signal", "action", "transform", "scale", "offset", "low", "high", "max_age_ticks"];
        private static readonly string[] ActionFields = ["name", "command", "low", "high", "scale", "offset", "command_min", "command_max"];
        private static readonly string[] RewardFields = ["signal", "action", "target", "weight", "wrap_angle"];
        private static readonly string[] TerminationFields = ["signal", "below", "above"];
        private static readonly string[] FaultFields =
            ["retries", "retry_delay_us", "break_after_failures", "break_seconds", "safe_after_ticks", "give_up_after_seconds"];
        private static readonly string[] EmulationFields = ["twin", "parameters", "faults"];
        private static readonly string[] EmulatedFaultFields = ["device", "fault", "at_seconds", "for_seconds", "latency_ms"];
        private static readonly string[] TransformNames = ["none", "cos", "sin"];

        private readonly Dictionary<string, ReadDevice> _devices = new(StringComparer.Ordinal);

        public RobotDescription Read(JsonNode root)
        {
            if (root.Kind != JsonKind.Object)
                throw Error(root.Line, $"expected a JSON object at the top, found {JsonNode.KindName(root.Kind)}");
            var fields = new Fields(this, root, "", RootFields);

            var name = NonEmptyString(fields.Require("name"), "name");
            var rateProperty = fields.Require("control_rate_hz");
            var rate = Finite(rateProperty.Value, "control_rate_hz");
            if (!(rate > 0 && rate <= MaxControlRateHz))
                throw Error(rateProperty.Line, $"control_rate_hz must be in (0, {Format(MaxControlRateHz)}] (got {Format(rate)})");
            int? maxEpisodeSteps = fields.Get("max_episode_steps") is { } steps
                ? (int)IntegerIn(steps.Value, "max_episode_steps", 1, int.MaxValue)
                : null;

            var devices = ReadDevices(fields.Require("devices"));
            var observation = ReadObservation(fields.Require("observation"));
            var action = ReadAction(fields.Require("action"));
            CheckObservedActions(observation, action);
            var safeAction = ReadSafeAction(fields.Require("safe_action"), action);
            var reward = ReadReward(fields.Require("reward"), action);
            var termination = fields.Get("termination") is { } t ? ReadTermination(t) : [];
            var faults = ReadFaults(fields.Get("faults"), rate, rateProperty.Line);
            var emulation = fields.Get("emulation") is { } e ? ReadEmulation(e) : null;
            var settle = 0.0;
            if (fields.Get("settle_seconds") is { } settleProperty)
            {
                settle = Finite(settleProperty.Value, "settle_seconds");
                if (settle is < 0 or > 3600) throw Error(settleProperty.Line, $"settle_seconds must be in [0, 3600] (got {Format(settle)})");
            }

            var trace = fields.Get("trace") is { } traceProperty ? ReadTrace(traceProperty, observation, action) : null;

            return new RobotDescription(name, file, rate, maxEpisodeSteps, devices, observation, action, safeAction, reward,
                termination, faults, emulation, settle, trace);
        }

        // ---- devices ----

        private List<DeviceDescription> ReadDevices(JsonProperty property)
        {
            var node = ObjectValue(property.Value, "devices");
            if (node.Properties.Count == 0)
                throw Error(property.Line, "devices must name at least one device");
            var i2cUsers = new Dictionary<(long Bus, long Address), (string Device, int Line)>();
            var pinUsers = new Dictionary<long, (string Setting, int Line)>();
            var portUsers = new Dictionary<string, (string Device, int Line)>(StringComparer.Ordinal);
            var result = new List<DeviceDescription>();
            foreach (var entry in node.Properties)
            {
                if (!IsName(entry.Name))
                    throw Error(entry.Line, $"device name '{entry.Name}' must use only a-z, 0-9, '_' and '-'");
                var device = ReadDevice(entry);
                _devices.Add(entry.Name, device);
                result.Add(device.Description);

                foreach (var spec in device.Type.Settings)
                {
                    var value = device.Description.Settings.Values[spec.Name];
                    var line = device.SettingLines.GetValueOrDefault(spec.Name, entry.Line);
                    var label = $"devices.{entry.Name}.{spec.Name}";
                    switch (spec.Kind)
                    {
                        case DeviceSettingKind.I2cAddress:
                        {
                            var bus = device.Description.Settings.Values.TryGetValue("bus", out var b) ? Convert.ToInt64(b, CultureInfo.InvariantCulture) : 0;
                            var address = (long)value;
                            if (i2cUsers.TryGetValue((bus, address), out var first))
                                throw Error(line, $"device '{entry.Name}': I2C address 0x{address:X2} on bus {bus} is already used by device '{first.Device}' (line {first.Line})");
                            i2cUsers.Add((bus, address), (entry.Name, line));
                            break;
                        }
                        case DeviceSettingKind.GpioPin:
                        {
                            var pin = (long)value;
                            if (pinUsers.TryGetValue(pin, out var first))
                                throw Error(line, $"{label}: GPIO {pin} is already used by {first.Setting} (line {first.Line})");
                            pinUsers.Add(pin, (label, line));
                            break;
                        }
                        case DeviceSettingKind.SerialPort:
                        {
                            var port = (string)value;
                            var key = port.Contains('/', StringComparison.Ordinal) ? port : "/dev/" + port;
                            if (portUsers.TryGetValue(key, out var first))
                                throw Error(line, $"device '{entry.Name}': serial port {port} is already used by device '{first.Device}' (line {first.Line})");
                            portUsers.Add(key, (entry.Name, line));
                            break;
                        }
                    }
                }
            }
            return result;
        }

        private ReadDevice ReadDevice(JsonProperty entry)
        {
            var name = entry.Name;
            var node = ObjectValue(entry.Value, $"devices.{name}");
            var known = string.Join(", ", DeviceCatalog.Types.Keys);
            var typeProperty = Find(node, "type")
                ?? throw Error(node.Line, $"device '{name}': missing field 'type'; known types: {known}");
            var typeName = String(typeProperty.Value, $"devices.{name}.type");
            if (!DeviceCatalog.Types.TryGetValue(typeName, out var type))
                throw Error(typeProperty.Line, $"device '{name}': unknown type '{typeName}'; known types: {known}");

            var where = $"device '{name}' ({typeName})";
            foreach (var property in node.Properties)
            {
                if (property.Name != "type" && !type.Settings.Any(s => s.Name == property.Name))
                {
                    var accepted = string.Join(", ", type.Settings.Select(s => s.Name));
                    throw Error(property.Line, $"{where}: unknown setting '{property.Name}'; accepted: type, {accepted}");
                }
            }

            var values = new Dictionary<string, object>(StringComparer.Ordinal);
            var lines = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var spec in type.Settings)
            {
                if (Find(node, spec.Name) is { } property)
                {
                    values[spec.Name] = ReadSetting(spec, property, $"devices.{name}.{spec.Name}");
                    lines[spec.Name] = property.Line;
                }
                else if (spec.Default is { } fallback)
                {
                    values[spec.Name] = fallback;
                }
                else
                {
                    throw Error(node.Line, $"{where}: missing setting '{spec.Name}' ({spec.Description})");
                }
            }
            var settings = new DeviceSettings(values);

            IReadOnlyList<string> inputs, outputs;
            try
            {
                inputs = type.Inputs(settings);
                outputs = type.Outputs(settings);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or KeyNotFoundException or OverflowException)
            {
                throw Error(entry.Line, $"{where}: settings do not give its channels: {e.Message.ReplaceLineEndings(" ").Trim()}");
            }
            return new ReadDevice(new DeviceDescription(name, typeName, settings, new SourceLocation(file, entry.Line)), type, inputs, outputs, lines);
        }

        private object ReadSetting(DeviceSettingSpec spec, JsonProperty property, string label)
        {
            var node = property.Value;
            object value;
            switch (spec.Kind)
            {
                case DeviceSettingKind.Integer:
                case DeviceSettingKind.GpioPin:
                    value = IntegerIn(node, label, spec.Min ?? long.MinValue, spec.Max ?? long.MaxValue);
                    break;
                case DeviceSettingKind.Number:
                {
                    var x = Finite(node, label);
                    if (x < (spec.Min ?? double.NegativeInfinity) || x > (spec.Max ?? double.PositiveInfinity))
                        throw Error(node.Line, $"{label} must be {RangeText(spec.Min, spec.Max)} (got {Format(x)})");
                    value = x;
                    break;
                }
                case DeviceSettingKind.Flag:
                    value = Boolean(node, label);
                    break;
                case DeviceSettingKind.I2cAddress:
                    value = I2cAddress(node, label);
                    break;
                case DeviceSettingKind.SerialPort:
                    value = NonEmptyString(property, label);
                    break;
                default:
                {
                    var text = String(node, label);
                    if (spec.Choices is { } choices && !choices.Contains(text))
                        throw Error(node.Line, $"{label} must be one of {string.Join(", ", choices)} (got '{text}')");
                    value = text;
                    break;
                }
            }
            if (spec.Check?.Invoke(value) is { } problem)
                throw Error(node.Line, $"{label} {problem}");
            return value;
        }

        private long I2cAddress(JsonNode node, string label)
        {
            long address;
            if (node.Kind == JsonKind.String)
            {
                var text = node.Text;
                if (!(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                      && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address)))
                    throw Error(node.Line, $"{label} must be an I2C address as a number or a \"0x..\" hex string (got '{text}')");
            }
            else if (node.Kind == JsonKind.Number)
            {
                address = Integer(node, label);
            }
            else
            {
                throw Error(node.Line, $"{label} must be an I2C address as a number or a \"0x..\" hex string, found {JsonNode.KindName(node.Kind)}");
            }
            if (address is < MinI2cAddress or > MaxI2cAddress)
                throw Error(node.Line, $"{label} must be a 7-bit I2C address in 0x{MinI2cAddress:X2}..0x{MaxI2cAddress:X2} (got {node.Text})");
            return address;
        }

        // ---- observation and action ----

        private List<ObservationEntry> ReadObservation(JsonProperty property)
        {
            var items = NonEmptyArray(property, "observation");
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            var result = new List<ObservationEntry>();
            for (var i = 0; i < items.Count; i++)
            {
                var path = $"observation[{i}]";
                var fields = new Fields(this, ObjectValue(items[i], path), path, ObservationFields);
                var name = EntryName(fields, path, names, "observation");
                var where = $"observation '{name}'";
                var signalProperty = fields.Get("signal");
                var actionProperty = fields.Get("action");
                if (signalProperty is not null && actionProperty is not null)
                    throw Error(actionProperty.Line, $"{path}: give either 'signal' or 'action', not both");
                if (signalProperty is null && actionProperty is null)
                    throw Error(items[i].Line, $"{path}: needs 'signal' (a device input) or 'action' (the previous value of an action entry)");
                var signal = signalProperty is null ? (SignalRef?)null : ResolveSignal(signalProperty, $"{path}.signal", output: false);
                var actionName = actionProperty is null ? null : String(actionProperty.Value, $"{path}.action");
                var transform = SignalTransform.None;
                if (fields.Get("transform") is { } t)
                {
                    var text = String(t.Value, $"{path}.transform");
                    transform = Array.IndexOf(TransformNames, text) switch
                    {
                        1 => SignalTransform.Cos,
                        2 => SignalTransform.Sin,
                        0 => SignalTransform.None,
                        _ => throw Error(t.Line, $"{path}.transform must be one of {string.Join(", ", TransformNames)} (got '{text}')"),
                    };
                }
                var scale = Scale(fields, path);
                var offset = fields.Get("offset") is { } o ? Finite(o.Value, $"{path}.offset") : 0.0;
                var (low, high) = Bounds(fields, path, where);
                var maxAge = fields.Get("max_age_ticks") is { } age
                    ? (int)IntegerIn(age.Value, $"{path}.max_age_ticks", 0, 1_000_000)
                    : DefaultMaxAgeTicks;
                result.Add(new ObservationEntry(name, signal, transform, scale, offset, low, high, maxAge, new SourceLocation(file, items[i].Line), actionName));
            }
            return result;
        }

        /// <summary>An observation of an action's previous value must name an action entry (they are read after the observation).</summary>
        private void CheckObservedActions(List<ObservationEntry> observation, List<ActionEntry> action)
        {
            foreach (var entry in observation)
            {
                if (entry.Action is { } name && !action.Any(a => a.Name == name))
                    throw Error(entry.Location.Line, $"observation '{entry.Name}': action '{name}' names no action entry; actions: {string.Join(", ", action.Select(a => a.Name))}");
            }
        }

        private List<ActionEntry> ReadAction(JsonProperty property)
        {
            var items = NonEmptyArray(property, "action");
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            var driven = new Dictionary<SignalRef, (string Action, int Line)>();
            var result = new List<ActionEntry>();
            for (var i = 0; i < items.Count; i++)
            {
                var path = $"action[{i}]";
                var fields = new Fields(this, ObjectValue(items[i], path), path, ActionFields);
                var name = EntryName(fields, path, names, "action");
                var where = $"action '{name}'";
                var commandProperty = fields.Require("command");
                var command = ResolveSignal(commandProperty, $"{path}.command", output: true);
                if (driven.TryGetValue(command, out var first))
                    throw Error(commandProperty.Line, $"{where}: output '{command}' is already driven by action '{first.Action}' (line {first.Line})");
                driven.Add(command, (name, commandProperty.Line));
                var (low, high) = Bounds(fields, path, where);
                var scale = Scale(fields, path);
                var offset = fields.Get("offset") is { } o ? Finite(o.Value, $"{path}.offset") : 0.0;
                // Without explicit limits the command may span exactly what the action bounds map to.
                var mappedLow = Math.Min(low * scale + offset, high * scale + offset);
                var mappedHigh = Math.Max(low * scale + offset, high * scale + offset);
                var commandMin = fields.Get("command_min") is { } min ? Finite(min.Value, $"{path}.command_min") : mappedLow;
                var commandMax = fields.Get("command_max") is { } max ? Finite(max.Value, $"{path}.command_max") : mappedHigh;
                if (!(commandMin < commandMax))
                    throw Error(fields.Get("command_min")?.Line ?? fields.Get("command_max")?.Line ?? items[i].Line,
                        $"{where}: command_min ({Format(commandMin)}) must be below command_max ({Format(commandMax)})");
                result.Add(new ActionEntry(name, command, low, high, scale, offset, commandMin, commandMax, new SourceLocation(file, items[i].Line)));
            }
            return result;
        }

        private string EntryName(Fields fields, string path, Dictionary<string, int> names, string what)
        {
            var property = fields.Require("name");
            var name = String(property.Value, $"{path}.name");
            if (!IsName(name))
                throw Error(property.Line, $"{path}.name '{name}' must use only a-z, 0-9, '_' and '-'");
            if (names.TryGetValue(name, out var firstLine))
                throw Error(property.Line, $"{path}.name: there is already an {what} entry named '{name}' (line {firstLine})");
            names.Add(name, property.Line);
            return name;
        }

        private (float Low, float High) Bounds(Fields fields, string path, string where)
        {
            var lowProperty = fields.Require("low", "bounds need both 'low' and 'high'");
            var highProperty = fields.Require("high", "bounds need both 'low' and 'high'");
            var low = FiniteFloat(lowProperty.Value, $"{path}.low");
            var high = FiniteFloat(highProperty.Value, $"{path}.high");
            if (!(low < high))
                throw Error(lowProperty.Line, $"{where}: low ({Format(low)}) must be below high ({Format(high)})");
            return (low, high);
        }

        private double Scale(Fields fields, string path)
        {
            if (fields.Get("scale") is not { } property) return 1.0;
            var scale = Finite(property.Value, $"{path}.scale");
            if (scale == 0) throw Error(property.Line, $"{path}.scale must not be 0");
            return scale;
        }

        private List<float> ReadSafeAction(JsonProperty property, List<ActionEntry> action)
        {
            var items = ArrayValue(property.Value, "safe_action");
            if (items.Count != action.Count)
                throw Error(property.Line, $"safe_action has {items.Count} value(s) but there are {action.Count} action entries ({string.Join(", ", action.Select(a => a.Name))})");
            var result = new List<float>(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var value = FiniteFloat(items[i], $"safe_action[{i}]");
                var entry = action[i];
                if (value < entry.Low || value > entry.High)
                    throw Error(items[i].Line, $"safe_action[{i}] = {Format(value)} is outside action '{entry.Name}''s bounds [{Format(entry.Low)}, {Format(entry.High)}]");
                result.Add(value);
            }
            return result;
        }

        // ---- task ----

        private List<RewardTerm> ReadReward(JsonProperty property, List<ActionEntry> action)
        {
            var items = NonEmptyArray(property, "reward");
            var result = new List<RewardTerm>();
            for (var i = 0; i < items.Count; i++)
            {
                var path = $"reward[{i}]";
                var node = ObjectValue(items[i], path);
                var fields = new Fields(this, node, path, RewardFields);
                var signalProperty = fields.Get("signal");
                var actionProperty = fields.Get("action");
                if (signalProperty is not null && actionProperty is not null)
                    throw Error(actionProperty.Line, $"{path}: give either 'signal' or 'action', not both");
                SignalRef? signal = null;
                string? actionName = null;
                if (signalProperty is not null)
                {
                    signal = ResolveSignal(signalProperty, $"{path}.signal", output: false);
                }
                else if (actionProperty is not null)
                {
                    actionName = String(actionProperty.Value, $"{path}.action");
                    if (!action.Any(a => a.Name == actionName))
                        throw Error(actionProperty.Line, $"{path}.action '{actionName}' names no action entry; actions: {string.Join(", ", action.Select(a => a.Name))}");
                }
                else
                {
                    throw Error(node.Line, $"{path}: needs 'signal' (a device input) or 'action' (an action entry's name)");
                }
                var target = fields.Get("target") is { } t ? Finite(t.Value, $"{path}.target") : 0.0;
                var weight = Finite(fields.Require("weight").Value, $"{path}.weight");
                var wrap = false;
                if (fields.Get("wrap_angle") is { } w)
                {
                    wrap = Boolean(w.Value, $"{path}.wrap_angle");
                    if (wrap && actionName is not null)
                        throw Error(w.Line, $"{path}: wrap_angle applies to signals, not to action '{actionName}'");
                }
                result.Add(new RewardTerm(signal, actionName, target, weight, wrap, new SourceLocation(file, items[i].Line)));
            }
            return result;
        }

        private List<TerminationCondition> ReadTermination(JsonProperty property)
        {
            var items = ArrayValue(property.Value, "termination");
            var result = new List<TerminationCondition>();
            for (var i = 0; i < items.Count; i++)
            {
                var path = $"termination[{i}]";
                var node = ObjectValue(items[i], path);
                var fields = new Fields(this, node, path, TerminationFields);
                var signal = ResolveSignal(fields.Require("signal"), $"{path}.signal", output: false);
                var belowProperty = fields.Get("below");
                var aboveProperty = fields.Get("above");
                double? below = belowProperty is null ? null : Finite(belowProperty.Value, $"{path}.below");
                double? above = aboveProperty is null ? null : Finite(aboveProperty.Value, $"{path}.above");
                if (below is null && above is null)
                    throw Error(node.Line, $"{path}: needs 'below' and/or 'above' (the limits that end the episode)");
                if (below is { } b && above is { } a && !(b < a))
                    throw Error(belowProperty!.Line, $"{path}: below ({Format(b)}) must be less than above ({Format(a)})");
                result.Add(new TerminationCondition(signal, below, above, new SourceLocation(file, items[i].Line)));
            }
            return result;
        }

        private FaultPolicy ReadFaults(JsonProperty? property, double rateHz, int rateLine)
        {
            var policy = new FaultPolicy();
            var line = rateLine;
            if (property is not null)
            {
                line = property.Line;
                var fields = new Fields(this, ObjectValue(property.Value, "faults"), "faults", FaultFields);
                int Int(string name, int fallback, long min, long max) =>
                    fields.Get(name) is { } p ? (int)IntegerIn(p.Value, $"faults.{name}", min, max) : fallback;
                double Seconds(string name, double fallback, bool zeroAllowed)
                {
                    if (fields.Get(name) is not { } p) return fallback;
                    var x = Finite(p.Value, $"faults.{name}");
                    if (x < 0 || (x == 0 && !zeroAllowed))
                        throw Error(p.Line, $"faults.{name} must be {(zeroAllowed ? ">= 0" : "> 0")} (got {Format(x)})");
                    return x;
                }
                policy = new FaultPolicy(
                    Retries: Int("retries", policy.Retries, 0, 100),
                    RetryDelayMicroseconds: Int("retry_delay_us", policy.RetryDelayMicroseconds, 0, 1_000_000),
                    BreakAfterFailures: Int("break_after_failures", policy.BreakAfterFailures, 1, 1_000_000),
                    BreakSeconds: Seconds("break_seconds", policy.BreakSeconds, zeroAllowed: true),
                    SafeAfterTicks: Int("safe_after_ticks", policy.SafeAfterTicks, 1, 1_000_000),
                    GiveUpAfterSeconds: Seconds("give_up_after_seconds", policy.GiveUpAfterSeconds, zeroAllowed: false));
            }
            var periodMicroseconds = 1e6 / rateHz;
            if (policy.WorstCaseIoMicroseconds > periodMicroseconds)
            {
                throw Error(line,
                    $"faults: worst-case I/O per tick ({policy.Retries + 1} attempt(s) x {FaultPolicy.AttemptAllowanceMicroseconds} us + " +
                    $"{policy.Retries} retry delay(s) x {policy.RetryDelayMicroseconds} us = {policy.WorstCaseIoMicroseconds} us) does not fit " +
                    $"in the {Format(periodMicroseconds)} us control period (control_rate_hz {Format(rateHz)}); lower faults.retries or faults.retry_delay_us");
            }
            return policy;
        }

        private EmulationDescription ReadEmulation(JsonProperty property)
        {
            var node = ObjectValue(property.Value, "emulation");
            var fields = new Fields(this, node, "emulation", EmulationFields);
            var twin = NonEmptyString(fields.Require("twin"), "emulation.twin");
            string? parameters = null;
            if (fields.Get("parameters") is { } p)
            {
                var written = NonEmptyString(p, "emulation.parameters");
                var folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? Directory.GetCurrentDirectory();
                parameters = Path.GetFullPath(Path.Combine(folder, written));
                if (!File.Exists(parameters))
                    throw Error(p.Line, $"emulation.parameters: file '{written}' not found (looked for {parameters})");
            }
            var faults = new List<EmulatedFault>();
            if (fields.Get("faults") is { } faultsProperty)
            {
                var items = ArrayValue(faultsProperty.Value, "emulation.faults");
                for (var i = 0; i < items.Count; i++)
                {
                    var path = $"emulation.faults[{i}]";
                    var faultNode = ObjectValue(items[i], path);
                    var faultFields = new Fields(this, faultNode, path, EmulatedFaultFields);
                    var deviceProperty = faultFields.Require("device");
                    var device = NonEmptyString(deviceProperty, $"{path}.device");
                    if (!_devices.ContainsKey(device))
                        throw Error(deviceProperty.Line, $"{path}.device '{device}' names no device; devices: {string.Join(", ", _devices.Keys)}");
                    var kindProperty = faultFields.Require("fault");
                    var kind = String(kindProperty.Value, $"{path}.fault");
                    if (!EmulatedFault.Kinds.Contains(kind))
                        throw Error(kindProperty.Line, $"{path}.fault must be one of {string.Join(", ", EmulatedFault.Kinds)} (got '{kind}')");
                    var at = NonNegative(faultFields.Require("at_seconds"), $"{path}.at_seconds");
                    var duration = NonNegative(faultFields.Require("for_seconds"), $"{path}.for_seconds");
                    var latency = faultFields.Get("latency_ms") is { } l ? NonNegative(l, $"{path}.latency_ms") : 0;
                    if (kind == "latency" && latency <= 0)
                        throw Error(faultNode.Line, $"{path}: a latency fault needs latency_ms > 0");
                    faults.Add(new EmulatedFault(device, kind, at, duration, latency, new SourceLocation(file, faultNode.Line)));
                }
            }
            return new EmulationDescription(twin, parameters, new SourceLocation(file, node.Line)) { Faults = faults };
        }

        private TraceDescription ReadTrace(JsonProperty property, IReadOnlyList<ObservationEntry> observation, IReadOnlyList<ActionEntry> action)
        {
            var node = ObjectValue(property.Value, "trace");
            var fields = new Fields(this, node, "trace", TraceFields);
            var state = new List<TraceStateColumn>();
            foreach (var column in ObjectValue(fields.Require("state").Value, "trace.state").Properties)
            {
                var label = $"trace.state.{column.Name}";
                state.Add(column.Value.Kind switch
                {
                    JsonKind.Number => new TraceStateColumn(column.Name, null, Finite(column.Value, label)),
                    JsonKind.String => new TraceStateColumn(column.Name, ResolveSignal(column, label, output: false), 0),
                    _ => ReadTraceSignal(column, label),
                });
            }
            var actions = fields.Get("actions") is { } a
                ? ArrayValue(a.Value, "trace.actions").Select((item, i) => String(item, $"trace.actions[{i}]")).ToList()
                : action.Select(e => e.Name).ToList();
            if (actions.Count != action.Count)
                throw Error(node.Line, $"trace.actions names {actions.Count} column(s), the robot has {action.Count} action entries");
            var outputs = new List<(string, string)>();
            foreach (var column in ObjectValue(fields.Require("outputs").Value, "trace.outputs").Properties)
            {
                var name = String(column.Value, $"trace.outputs.{column.Name}");
                if (!observation.Any(o => o.Name == name))
                    throw Error(column.Line, $"trace.outputs.{column.Name} '{name}' names no observation entry; entries: {string.Join(", ", observation.Select(o => o.Name))}");
                outputs.Add((column.Name, name));
            }
            return new TraceDescription(state, actions, outputs, new SourceLocation(file, node.Line));
        }

        private TraceStateColumn ReadTraceSignal(JsonProperty column, string label)
        {
            var node = ObjectValue(column.Value, label);
            var fields = new Fields(this, node, label, TraceSignalFields);
            var signal = ResolveSignal(fields.Require("signal"), $"{label}.signal", output: false);
            var offset = fields.Get("offset") is { } o ? Finite(o.Value, $"{label}.offset") : 0;
            return new TraceStateColumn(column.Name, signal, offset);
        }

        private double NonNegative(JsonProperty property, string label)
        {
            var value = Finite(property.Value, label);
            return value >= 0 ? value : throw Error(property.Line, $"{label} must be >= 0 (got {Format(value)})");
        }

        // ---- signals ----

        private SignalRef ResolveSignal(JsonProperty property, string label, bool output)
        {
            var text = String(property.Value, label);
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || dot == text.Length - 1 || text.IndexOf('.', dot + 1) >= 0)
                throw Error(property.Line, $"{label} must be \"device.channel\" (got '{text}')");
            var deviceName = text[..dot];
            var channel = text[(dot + 1)..];
            if (!_devices.TryGetValue(deviceName, out var device))
                throw Error(property.Line, $"{label} '{text}' names no device '{deviceName}'; devices: {string.Join(", ", _devices.Keys)}");

            var (wanted, other) = output ? (device.Outputs, device.Inputs) : (device.Inputs, device.Outputs);
            if (wanted.Contains(channel)) return new SignalRef(deviceName, channel);

            var what = output ? "output" : "input";
            var wantedText = wanted.Count > 0 ? $"{what}s: {string.Join(", ", wanted)}" : $"it has no {what}s";
            if (other.Contains(channel))
            {
                var use = output ? "actions command outputs" : "observations, rewards and terminations read inputs";
                var has = wanted.Count > 0 ? $"'{deviceName}' has {string.Join(", ", wanted)}" : $"'{deviceName}' has none";
                throw Error(property.Line, $"{label} '{text}' is an {(output ? "input" : "output")} of device '{deviceName}'; {use}, and {has}");
            }
            throw Error(property.Line, $"{label} '{text}': device '{deviceName}' ({device.Description.Type}) has no {what} '{channel}'; {wantedText}");
        }

        // ---- JSON values ----

        // Values quoted in a message may hold escaped line breaks; the message must stay one line.
        private RobotDescriptionException Error(int line, string problem) => new(file, line, problem.ReplaceLineEndings(" "));

        private static JsonProperty? Find(JsonNode node, string name)
        {
            foreach (var p in node.Properties)
            {
                if (p.Name == name) return p;
            }
            return null;
        }

        private JsonNode ObjectValue(JsonNode node, string label) =>
            node.Kind == JsonKind.Object ? node : throw KindError(node, label, JsonKind.Object);

        private IReadOnlyList<JsonNode> ArrayValue(JsonNode node, string label) =>
            node.Kind == JsonKind.Array ? node.Items : throw KindError(node, label, JsonKind.Array);

        private IReadOnlyList<JsonNode> NonEmptyArray(JsonProperty property, string label)
        {
            var items = ArrayValue(property.Value, label);
            return items.Count > 0 ? items : throw Error(property.Line, $"{label} must have at least one entry");
        }

        private string String(JsonNode node, string label) =>
            node.Kind == JsonKind.String ? node.Text : throw KindError(node, label, JsonKind.String);

        private string NonEmptyString(JsonProperty property, string label)
        {
            var text = String(property.Value, label);
            return text.Trim().Length > 0 ? text : throw Error(property.Line, $"{label} must not be empty");
        }

        private bool Boolean(JsonNode node, string label) =>
            node.Kind == JsonKind.Boolean ? node.Boolean : throw KindError(node, label, JsonKind.Boolean);

        private double Finite(JsonNode node, string label)
        {
            if (node.Kind != JsonKind.Number) throw KindError(node, label, JsonKind.Number);
            return double.IsFinite(node.Number) ? node.Number : throw Error(node.Line, $"{label} must be a finite number (got {node.Text})");
        }

        /// <summary>A number the float32 observation/action vectors can hold.</summary>
        private float FiniteFloat(JsonNode node, string label)
        {
            var x = (float)Finite(node, label);
            return float.IsFinite(x) ? x : throw Error(node.Line, $"{label} must be a finite single-precision number (got {node.Text})");
        }

        private long Integer(JsonNode node, string label)
        {
            if (node.Kind != JsonKind.Number) throw KindError(node, label, JsonKind.Number);
            var x = node.Number;
            // Integral values written as 2.0 or 1e3 are accepted; 2^53 keeps the conversion exact.
            if (!(Math.Abs(x) <= 9007199254740992.0) || Math.Floor(x) != x)
                throw Error(node.Line, $"{label} must be an integer (got {node.Text})");
            return (long)x;
        }

        private long IntegerIn(JsonNode node, string label, double min, double max)
        {
            var x = Integer(node, label);
            return x >= min && x <= max
                ? x
                : throw Error(node.Line, $"{label} must be an integer {RangeText(min, max)} (got {node.Text})");
        }

        private RobotDescriptionException KindError(JsonNode node, string label, JsonKind expected) =>
            Error(node.Line, $"{label} must be {JsonNode.KindName(expected)}, found {JsonNode.KindName(node.Kind)}");

        /// <summary>"in [a, b]", ">= a" or "<= b" for inclusive bounds (±long range or null meaning none).</summary>
        private static string RangeText(double? min, double? max)
        {
            var hasMin = min is { } a && a > long.MinValue;
            var hasMax = max is { } b && b < long.MaxValue;
            return (hasMin, hasMax) switch
            {
                (true, true) => $"in [{Format(min!.Value)}, {Format(max!.Value)}]",
                (true, false) => $">= {Format(min!.Value)}",
                (false, true) => $"<= {Format(max!.Value)}",
                _ => "",
            };
        }

        private static string Format(double x) => x.ToString(CultureInfo.InvariantCulture);

        /// <summary>A JSON object's fields: rejects unknown ones up front, then hands out the known ones.</summary>
        private sealed class Fields
        {
            private readonly DescriptionReader _owner;
            private readonly JsonNode _node;
            private readonly string _path;

            public Fields(DescriptionReader owner, JsonNode node, string path, string[] accepted)
            {
                _owner = owner;
                _node = node;
                _path = path;
                foreach (var property in node.Properties)
                {
                    if (Array.IndexOf(accepted, property.Name) < 0)
                    {
                        var where = path.Length == 0 ? "" : $" in {path}";
                        throw owner.Error(property.Line, $"unknown field '{property.Name}'{where}; accepted: {string.Join(", ", accepted)}");
                    }
                }
            }

            public JsonProperty? Get(string name) => Find(_node, name);

            public JsonProperty Require(string name, string? why = null)
            {
                if (Find(_node, name) is { } property) return property;
                var where = _path.Length == 0 ? "" : $"{_path}: ";
                var reason = why is null ? "" : $" ({why})";
                throw _owner.Error(_node.Line, $"{where}missing field '{name}'{reason}");
            }
        }
    }

    /// <summary>A device as read, with what later checks need: its type, channels and the line of each setting.</summary>
    private sealed record ReadDevice(
        DeviceDescription Description, DeviceType Type, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
        IReadOnlyDictionary<string, int> SettingLines);
}
