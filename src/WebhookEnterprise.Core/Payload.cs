using System.Text;
using System.Text.Json;

namespace WebhookEnterprise.Core;

/// <summary>How bodies and headers appear in log records.</summary>
public static class Payload
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Headers as a JSON object in the order received; a name sent more than once maps to an
    /// array of its values, in order.
    /// </summary>
    public static void WriteHeaders(Utf8JsonWriter writer, string name, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        writer.WriteStartObject(name);
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in headers)
        {
            if (!written.Add(key))
            {
                continue;
            }

            var values = headers.Where(header => string.Equals(header.Key, key, StringComparison.OrdinalIgnoreCase)).ToList();
            if (values.Count == 1)
            {
                writer.WriteString(key, value);

                continue;
            }

            writer.WriteStartArray(key);
            foreach (var repeated in values)
            {
                writer.WriteStringValue(repeated.Value);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// A body as a reader wants it: the JSON value itself when it is JSON, else the text when it
    /// is UTF-8 text, else base64 with <c>{name}_encoding: "base64"</c> beside it. Without
    /// <paramref name="allowJson"/> JSON is written as text, for stores that cannot hold every JSON value.
    /// A <paramref name="truncated"/> body may end inside a character, which is then left out.
    /// </summary>
    public static void Write(
        Utf8JsonWriter writer,
        string name,
        string? contentType,
        ReadOnlyMemory<byte> body,
        bool allowJson,
        bool truncated = false)
    {
        if (allowJson && MayBeJson(contentType) && ParseJson(body) is { } json)
        {
            // Rewritten compactly so that a pretty-printed body keeps the record on one line;
            // the stored and forwarded bytes are untouched.
            using (json)
            {
                writer.WritePropertyName(name);
                json.RootElement.WriteTo(writer);
            }

            return;
        }

        var textPart = truncated ? body.Span[..CompleteUtf8Length(body.Span)] : body.Span;
        if (TryReadText(textPart) is { } text)
        {
            writer.WriteString(name, text);

            return;
        }

        writer.WriteBase64String(name, body.Span);
        writer.WriteString(name + "_encoding", "base64");
    }

    /// <summary>The length of <paramref name="body"/> without a UTF-8 sequence cut off at its end.</summary>
    private static int CompleteUtf8Length(ReadOnlySpan<byte> body)
    {
        var lead = body.Length - 1;
        while (lead >= 0 && lead > body.Length - 4 && (body[lead] & 0xC0) == 0x80)
        {
            lead--;
        }

        if (lead < 0)
        {
            return body.Length;
        }

        var expected = body[lead] switch
        {
            >= 0xF0 => 4,
            >= 0xE0 => 3,
            >= 0xC0 => 2,
            _ => 1,
        };

        return body.Length - lead < expected ? lead : body.Length;
    }

    private static bool MayBeJson(string? contentType) =>
        contentType is null || contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static JsonDocument? ParseJson(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? TryReadText(ReadOnlySpan<byte> body)
    {
        try
        {
            var text = StrictUtf8.GetString(body);
            foreach (var c in text)
            {
                if (char.IsControl(c) && c is not ('\t' or '\r' or '\n'))
                {
                    return null;
                }
            }

            return text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
