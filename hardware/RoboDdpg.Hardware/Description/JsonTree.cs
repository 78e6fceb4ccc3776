using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RoboDdpg.Hardware.Description;

/// <summary>The JSON value kinds, named as error messages say them.</summary>
internal enum JsonKind
{
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

/// <summary>One property of a JSON object, with the line its name is on.</summary>
internal sealed record JsonProperty(string Name, int Line, JsonNode Value);

/// <summary>
/// A parsed JSON value that remembers its line (JsonDocument keeps no positions, and every description error must
/// name a line). Numbers keep their text too, so a message can quote what the file says.
/// </summary>
internal sealed class JsonNode
{
    private JsonNode(JsonKind kind, int line)
    {
        Kind = kind;
        Line = line;
    }

    public JsonKind Kind { get; }

    /// <summary>1-based line of the value's first character.</summary>
    public int Line { get; }

    /// <summary>The string value, or the number as written.</summary>
    public string Text { get; private init; } = "";

    /// <summary>The number (±∞ when it overflows a double), for <see cref="JsonKind.Number"/>.</summary>
    public double Number { get; private init; }

    public bool Boolean { get; private init; }

    public IReadOnlyList<JsonProperty> Properties { get; private init; } = [];

    public IReadOnlyList<JsonNode> Items { get; private init; } = [];

    public static string KindName(JsonKind kind) => kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.Boolean => "true/false",
        _ => "null",
    };

    /// <summary>
    /// Parses JSON with comments and trailing commas. Syntax errors and repeated property names become
    /// <see cref="RobotDescriptionException"/> with the line.
    /// </summary>
    public static JsonNode Parse(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = LineStarts(bytes);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        try
        {
            if (!reader.Read())
                throw new RobotDescriptionException(file, 1, "empty file: expected a JSON object");
            var root = ReadValue(ref reader, lineStarts, file);
            // Anything but whitespace and comments after the root value is a syntax error the reader reports.
            while (reader.Read()) { }
            return root;
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? (int)l + 1 : 1;
            throw new RobotDescriptionException(file, line, $"invalid JSON: {ReaderMessage(e.Message)}", e);
        }
    }

    private static JsonNode ReadValue(ref Utf8JsonReader reader, int[] lineStarts, string file)
    {
        var line = LineOf(lineStarts, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var properties = new List<JsonProperty>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var nameLine = LineOf(lineStarts, reader.TokenStartIndex);
                    var name = GetString(ref reader, file, nameLine);
                    foreach (var seen in properties)
                    {
                        if (seen.Name == name)
                            throw new RobotDescriptionException(file, nameLine, $"field '{name}' appears twice in this object (first on line {seen.Line})");
                    }
                    reader.Read();
                    properties.Add(new JsonProperty(name, nameLine, ReadValue(ref reader, lineStarts, file)));
                }
                return new JsonNode(JsonKind.Object, line) { Properties = properties };
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<JsonNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(ReadValue(ref reader, lineStarts, file));
                return new JsonNode(JsonKind.Array, line) { Items = items };
            }
            case JsonTokenType.String:
                return new JsonNode(JsonKind.String, line) { Text = GetString(ref reader, file, line) };
            case JsonTokenType.Number:
            {
                var written = Encoding.UTF8.GetString(reader.ValueSpan);
                // Values beyond double's range become infinities (here or in the fallback parse), so the field's reader
                // can say "must be finite" with the field's name rather than failing the whole parse.
                var number = reader.TryGetDouble(out var d)
                    ? d
                    : double.Parse(written, NumberStyles.Float, CultureInfo.InvariantCulture);
                return new JsonNode(JsonKind.Number, line) { Number = number, Text = written };
            }
            case JsonTokenType.True:
            case JsonTokenType.False:
                return new JsonNode(JsonKind.Boolean, line) { Boolean = reader.TokenType == JsonTokenType.True };
            default:
                return new JsonNode(JsonKind.Null, line);
        }
    }

    private static string GetString(ref Utf8JsonReader reader, string file, int line)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but not a valid string.
            throw new RobotDescriptionException(file, line, "invalid JSON: a string holds an invalid escape sequence", e);
        }
    }

    private static int[] LineStarts(byte[] bytes)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n') starts.Add(i + 1);
        }
        return [.. starts];
    }

    private static int LineOf(int[] lineStarts, long offset)
    {
        var index = Array.BinarySearch(lineStarts, (int)offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    private static string ReaderMessage(string message)
    {
        // The reader appends "LineNumber: … | BytePositionInLine: …"; the exception already carries the line.
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        message = message.Replace(", when isFinalBlock is true", "", StringComparison.Ordinal);
        return message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
    }
}
