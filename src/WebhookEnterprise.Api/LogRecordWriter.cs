using System.Text.Json;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

/// <summary>
/// Writes log records as the spec describes them, one compact JSON object each: the columns
/// of the record first, then the details its writer stored, in the order it wrote them.
/// </summary>
public static class LogRecordWriter
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        // Log output is read by people: non-ASCII text is printed as itself, not as \u escapes.
        Encoder = ReadableJsonEncoder.Instance,
    };

    public static void Write(Utf8JsonWriter writer, LogRow row)
    {
        if (row.Type == LogRecordType.Message)
        {
            WriteMessage(writer, row);
        }
        else
        {
            WriteTargetResponse(writer, row);
        }
    }

    private static void WriteMessage(Utf8JsonWriter writer, LogRow row)
    {
        var headers = HeaderList.FromJson(row.Headers ?? "[]");
        var body = row.Body ?? [];

        writer.WriteStartObject();
        writer.WriteString("id", Ids.Format(row.Id));
        writer.WriteString("type", row.Type);
        writer.WriteStartObject("source");
        writer.WriteNumber("id", row.SourceId);
        writer.WriteString("name", row.SourceName);
        writer.WriteEndObject();
        writer.WriteString("method", row.Method);
        writer.WriteString("path", row.Path);
        writer.WriteString("query", row.Query);
        Payload.WriteHeaders(writer, "headers", headers);
        writer.WriteString("user-agent", HeaderList.Find(headers, "User-Agent"));
        writer.WriteString("content-type", HeaderList.Find(headers, "Content-Type"));
        Payload.Write(writer, "payload", HeaderList.Find(headers, "Content-Type"), body, allowJson: true);
        writer.WriteNumber("size", body.Length);
        writer.WriteString("remote_address", row.RemoteAddress);
        writer.WriteString("created_at", LogTime.Format(new DateTimeOffset(row.CreatedAt, TimeSpan.Zero)));
        writer.WriteEndObject();
    }

    private static void WriteTargetResponse(Utf8JsonWriter writer, LogRow row)
    {
        using var data = JsonDocument.Parse(row.Data ?? "{}");
        var details = data.RootElement;

        writer.WriteStartObject();
        writer.WriteString("id", Ids.Format(row.Id));
        writer.WriteString("type", row.Type);
        writer.WriteStartObject("source");
        writer.WriteString("id", Ids.Format(row.MessageId));
        writer.WriteEndObject();
        writer.WriteStartObject("target");
        writer.WriteString("id", row.TargetId is { } targetId ? Ids.Format(targetId) : null);
        writer.WriteString("name", Text(details, "target_name"));
        writer.WriteEndObject();
        writer.WriteString("delivery_id", row.DeliveryId is { } deliveryId ? Ids.Format(deliveryId) : null);
        CopyProperty(writer, details, "attempt");
        CopyProperty(writer, details, "request");
        if (details.TryGetProperty("response", out var response))
        {
            writer.WritePropertyName("response");
            response.WriteTo(writer);
        }

        if (details.TryGetProperty("error", out var error))
        {
            writer.WritePropertyName("error");
            error.WriteTo(writer);
        }

        CopyProperty(writer, details, "status");
        writer.WriteString("created_at", LogTime.Format(new DateTimeOffset(row.CreatedAt, TimeSpan.Zero)));
        CopyProperty(writer, details, "next_run_at");
        writer.WriteEndObject();
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void CopyProperty(Utf8JsonWriter writer, JsonElement element, string name)
    {
        writer.WritePropertyName(name);
        if (element.TryGetProperty(name, out var value))
        {
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
