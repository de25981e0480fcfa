using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using StackExchange.Redis;

namespace WebhookEnterprise.Bench;

/// <summary>
/// The least a durable webhook endpoint can do, to compare the gateway's ingress against: per
/// request one INSERT statement of the message row and its delivery row, into tables of the
/// gateway's own shape, committed with the same durability, then one XADD. It checks no
/// credentials, looks nothing up and writes no log record.
/// </summary>
public sealed class BaselineEndpoint(NpgsqlDataSource dataSource, IConnectionMultiplexer redis)
{
    public const string Stream = "baseline:deliveries";

    private const string DeliveryField = "delivery";

    private static readonly Guid TargetId = Guid.CreateVersion7();

    public async Task ReceiveAsync(HttpContext context, long sourceId)
    {
        const string sql = """
            WITH message AS (
                INSERT INTO messages (id, source_id, method, path, query, headers, body, remote_address, received_at)
                VALUES (@Id, @SourceId, @Method, @Path, @Query, @Headers::jsonb, @Body, @RemoteAddress, @ReceivedAt)
                RETURNING id
            )
            INSERT INTO deliveries (id, message_id, target_id, state, attempts, next_run_at, created_at, updated_at)
            SELECT @DeliveryId, message.id, @TargetId, 'pending', 0, @ReceivedAt, @ReceivedAt, @ReceivedAt
            FROM message
            """;

        var cancellationToken = context.RequestAborted;
        var receivedAt = DateTime.UtcNow;
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, cancellationToken);

        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var queryStart = raw.IndexOf('?', StringComparison.Ordinal);
        var deliveryId = Guid.CreateVersion7();
        var parameters = new
        {
            Id = Guid.CreateVersion7(),
            SourceId = sourceId,
            context.Request.Method,
            Path = queryStart < 0 ? raw : raw[..queryStart],
            Query = queryStart < 0 ? "" : raw[(queryStart + 1)..],
            Headers = HeadersJson(context.Request.Headers),
            Body = body.ToArray(),
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            ReceivedAt = receivedAt,
            DeliveryId = deliveryId,
            TargetId,
        };

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        }

        await redis.GetDatabase().StreamAddAsync(Stream, DeliveryField, deliveryId.ToString("N"));
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>
    /// The headers as the gateway stores them: an ordered array of name and value pairs, less
    /// the credentials.
    /// </summary>
    private static string HeadersJson(IHeaderDictionary headers)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (name, values) in headers)
            {
                if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                foreach (var value in values)
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(name);
                    writer.WriteStringValue(value);
                    writer.WriteEndArray();
                }
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
