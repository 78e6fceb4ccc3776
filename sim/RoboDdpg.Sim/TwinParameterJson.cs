using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace RoboDdpg.Sim;

/// <summary>
/// Reading and writing a twin's parameter record as snake_case JSON: comments and trailing commas allowed, a
/// missing field keeps its default, an unknown field is an error (a misspelt field would otherwise silently keep
/// the default), and every problem is one line naming the file.
/// </summary>
internal static class TwinParameterJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Parses <paramref name="text"/> into <typeparamref name="T"/> and runs <paramref name="validate"/>.</summary>
    /// <param name="fail">Builds the exception for a problem (the message part after "file: ").</param>
    /// <param name="validate">Throws <see cref="ArgumentException"/> naming the first invalid field.</param>
    public static T Parse<T>(string text, string path, Func<string, Exception?, ConfigFileException> fail, Action<T> validate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        T? parameters;
        try
        {
            // Parse first so syntax errors and unknown fields get their own messages (the serializer's
            // unmapped-member error names the .NET type, not the field as the file spells it).
            using (var document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            }))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw fail($"expected a JSON object, found {document.RootElement.ValueKind}", null);
                var known = Options.GetTypeInfo(typeof(T)).Properties;
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!known.Any(p => p.Name == property.Name))
                        throw fail($"unknown field '{property.Name}'", null);
                }
            }
            parameters = JsonSerializer.Deserialize<T>(text, Options);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}" : "";
            var field = e.Path is { Length: > 2 } p ? $" ({p})" : "";
            throw fail($"invalid JSON{where}{field}: {OneLine(e.Message)}", e);
        }
        if (parameters is null)
            throw fail("expected a JSON object, found null", null);

        try
        {
            validate(parameters);
        }
        catch (ArgumentException e)
        {
            throw fail(e.Message, e);
        }
        return parameters;
    }

    /// <summary>Indented JSON of every field (so a saved file documents every default), with a final newline.</summary>
    public static string Serialize<T>(T parameters) => JsonSerializer.Serialize(parameters, Options) + Environment.NewLine;

    private static string OneLine(string message)
    {
        // The serializer appends "Path: … | LineNumber: …" which the caller already reports in its own words.
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return message.ReplaceLineEndings(" ").Trim();
    }
}
