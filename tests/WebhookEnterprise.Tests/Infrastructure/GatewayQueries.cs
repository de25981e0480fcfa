using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// What tests ask a running gateway: routes made and log records read through the management
/// API (as the command line does, without starting a process each time), and stored rows.
/// </summary>
internal static class GatewayQueries
{
    private static readonly HttpClient Http = new();

    /// <summary>
    /// Adds a source with a name of its own and one target of the same name forwarding it to
    /// <paramref name="targetUrl"/>, retrying every <paramref name="retryInterval"/>.
    /// </summary>
    public static async Task<SourceRoute> AddRouteAsync(
        this Gateway gateway,
        string targetUrl,
        string retryInterval = "1s",
        int? maxAttempts = null,
        string? timeout = null,
        string? retryPolicy = null)
    {
        var name = "route-" + Guid.NewGuid().ToString("N")[..12];
        using var source = await Http.PostAsJsonAsync($"{gateway.ApiUrl}/api/sources", new { name });
        Assert.True(source.IsSuccessStatusCode, await source.Content.ReadAsStringAsync());
        var url = new Uri((await source.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!);

        var settings = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["forward_name"] = name,
            ["url"] = targetUrl,
            ["retry_interval"] = retryInterval,
            ["max_attempts"] = maxAttempts,
            ["timeout"] = timeout,
            ["retry_policy"] = retryPolicy,
        };
        using var target = await Http.PostAsJsonAsync($"{gateway.ApiUrl}/api/targets", settings);
        Assert.True(target.IsSuccessStatusCode, await target.Content.ReadAsStringAsync());

        return new SourceRoute(
            name,
            long.Parse(url.Segments[^1], CultureInfo.InvariantCulture),
            url.GetLeftPart(UriPartial.Path),
            Uri.UnescapeDataString(url.UserInfo));
    }

    /// <summary>Every log record of one message, oldest first, as <c>GET /api/log</c> (and so <c>webhook-cli log</c>) gives them.</summary>
    public static async Task<List<JsonElement>> LogOfMessageAsync(this Gateway gateway, string messageId, string? type = null)
    {
        var query = $"message={messageId}&n=10000" + (type is null ? "" : $"&type={type}");

        return JsonRecords.Parse(await Http.GetStringAsync($"{gateway.ApiUrl}/api/log?{query}"));
    }

    /// <summary>The id of the last message stored for a route's source.</summary>
    public static Task<string> LastMessageIdAsync(this Gateway gateway, SourceRoute route) =>
        Eventually.GetAsync(
            async () =>
            {
                var log = await Http.GetStringAsync($"{gateway.ApiUrl}/api/log?source={route.Name}&type=message&n=1");
                var records = JsonRecords.Parse(log);

                return records.Count == 1 ? records[0].GetProperty("id").GetString() : null;
            },
            $"a message from source {route.Name}");

    /// <summary>Waits until a message has at least <paramref name="count"/> <c>target.response</c> records and answers them.</summary>
    public static Task<List<JsonElement>> WaitForResponsesAsync(
        this Gateway gateway,
        string messageId,
        int count,
        TimeSpan? timeout = null) =>
        Eventually.GetAsync(
            async () =>
            {
                var records = await gateway.LogOfMessageAsync(messageId, "target.response");

                return records.Count >= count ? records : null;
            },
            $"{count} target.response records of message {messageId}",
            timeout);

    /// <summary>The body bytes Postgres holds for a message.</summary>
    public static async Task<byte[]> StoredBodyAsync(this Gateway gateway, string messageId)
    {
        await using var connection = new NpgsqlConnection(gateway.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT body FROM messages WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", Guid.ParseExact(messageId, "N"));

        return (byte[])(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"No message {messageId}."));
    }

    /// <summary>The state, attempt count and next run time of every delivery of a message.</summary>
    public static async Task<List<(string State, int Attempts, DateTime? NextRunAt)>> DeliveriesAsync(
        this Gateway gateway,
        string messageId)
    {
        const string sql = """
            SELECT state, attempts, next_run_at
            FROM deliveries
            WHERE message_id = @id
            ORDER BY created_at
            """;

        await using var connection = new NpgsqlConnection(gateway.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", Guid.ParseExact(messageId, "N"));
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, int, DateTime?)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetDateTime(2)));
        }

        return rows;
    }
}
