using Dapper;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>Commits accepted messages, with one pending delivery per target, in one statement.</summary>
public sealed class MessageStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Stores the message, its deliveries and its <c>message</c> log record atomically. When this
    /// returns, the message is durable and the sender may be answered; the deliveries are due at
    /// once, so a sweep finds them even if queueing them fails afterwards.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> StoreAsync(
        IncomingMessage message,
        IReadOnlyList<Guid> targetIds,
        CancellationToken cancellationToken)
    {
        const string sql = """
            WITH message AS (
                INSERT INTO messages (id, source_id, method, path, query, headers, body, remote_address, received_at, trace_parent)
                VALUES (@Id, @SourceId, @Method, @Path, @Query, @Headers::jsonb, @Body, @RemoteAddress, @ReceivedAt, @TraceParent)
                RETURNING id
            ),
            deliveries AS (
                INSERT INTO deliveries (id, message_id, target_id, state, attempts, next_run_at, created_at, updated_at)
                SELECT delivery.id, message.id, delivery.target_id, 'pending', 0, @ReceivedAt, @ReceivedAt, @ReceivedAt
                FROM message, unnest(@DeliveryIds, @TargetIds) AS delivery (id, target_id)
            )
            INSERT INTO log_records (id, type, message_id, source_id, created_at)
            VALUES (@Id, 'message', @Id, @SourceId, @ReceivedAt)
            """;

        var deliveryIds = targetIds.Select(_ => Ids.New()).ToArray();
        var parameters = new
        {
            message.Id,
            message.SourceId,
            message.Method,
            message.Path,
            message.Query,
            Headers = HeaderList.ToJson(message.Headers),
            message.Body,
            message.RemoteAddress,
            ReceivedAt = message.ReceivedAt.UtcDateTime,
            message.TraceParent,
            DeliveryIds = deliveryIds,
            TargetIds = targetIds.ToArray(),
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));

        return deliveryIds;
    }
}
