using System.Text;
using System.Text.Json;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>Reads what <c>webhook-cli log</c> prints: JSON values one after another, compact or indented.</summary>
internal static class JsonRecords
{
    public static List<JsonElement> Parse(string text)
    {
        var records = new List<JsonElement>();
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            while (reader.Read())
            {
                records.Add(JsonElement.ParseValue(ref reader));
            }
        }
        catch (JsonException)
        {
            // A record still being written when a follower's output was read.
        }

        return records;
    }
}
