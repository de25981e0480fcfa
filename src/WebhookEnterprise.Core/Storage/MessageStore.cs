using Dapper;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>A message to commit and the targets it goes to.</summary>
public sealed record MessageToStore(IncomingMessage Message, IReadOnlyList<Guid> TargetIds);

/// <summary>Commits accepted messages, with one pending delivery per target, in one statement.</summary>
public sealed class MessageStore(NpgsqlDataSource dataSource)
{
    private const string StoreSql = """
        WITH message AS (
            INSERT INTO messages (id, source_id, method, path, query, headers, body, remote_address, received_at, trace_parent)
            SELECT * FROM unnest(@Ids, @SourceIds, @Methods, @Paths, @Queries, @Headers::jsonb[], @Bodies,
                                 @RemoteAddresses, @ReceivedAts, @TraceParents)
            RETURNING id
        ),
        deliveries AS (
            INSERT INTO deliveries (id, message_id, target_id, state, attempts, next_run_at, created_at, updated_at)
            SELECT delivery.id, message.id, delivery.target_id, 'pending', 0, delivery.due, delivery.due, delivery.due
            FROM unnest(@DeliveryIds, @DeliveryMessageIds, @DeliveryTargetIds, @DeliveryDueAts)
                     AS delivery (id, message_id, target_id, due)
            JOIN message ON message.id = delivery.message_id
        )
        INSERT INTO log_records (id, type, message_id, source_id, created_at)
        SELECT record.id, 'message', record.id, record.source_id, record.created_at
        FROM unnest(@Ids, @SourceIds, @ReceivedAts) WITH ORDINALITY AS record (id, source_id, created_at, position)
        ORDER BY record.position
        """;

    /// <summary>
    /// Stores messages, each with its deliveries and its <c>message</c> log record, in one
    /// statement and so one commit: all of them or none. When this returns, the messages are
    /// durable and their senders may be answered; the deliveries are due at once, so a sweep
    /// finds them even if queueing them fails afterwards. Returns the ids of each message's
    /// deliveries, in the order of <paramref name="messages"/>.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<Guid>>> StoreAsync(
        IReadOnlyList<MessageToStore> messages,
        CancellationToken cancellationToken)
    {
        var deliveryIds = new IReadOnlyList<Guid>[messages.Count];
        var deliveryCount = messages.Sum(item => item.TargetIds.Count);
        var deliveryMessageIds = new List<Guid>(deliveryCount);
        var deliveryTargetIds = new List<Guid>(deliveryCount);
        var deliveryDueAts = new List<DateTime>(deliveryCount);
        var allDeliveryIds = new List<Guid>(deliveryCount);
        for (var i = 0; i < messages.Count; i++)
        {
            var (message, targetIds) = messages[i];
            var ids = new Guid[targetIds.Count];
            for (var t = 0; t < ids.Length; t++)
            {
                ids[t] = Ids.New();
                allDeliveryIds.Add(ids[t]);
                deliveryMessageIds.Add(message.Id);
                deliveryTargetIds.Add(targetIds[t]);
                deliveryDueAts.Add(message.ReceivedAt.UtcDateTime);
            }

            deliveryIds[i] = ids;
        }

        var parameters = new
        {
            Ids = Column(messages, message => message.Id),
            SourceIds = Column(messages, message => message.SourceId),
            Methods = Column(messages, message => message.Method),
            Paths = Column(messages, message => message.Path),
            Queries = Column(messages, message => message.Query),
            Headers = Column(messages, message => HeaderList.ToJson(message.Headers)),
            Bodies = Column(messages, message => message.Body),
            RemoteAddresses = Column(messages, message => message.RemoteAddress),
            ReceivedAts = Column(messages, message => message.ReceivedAt.UtcDateTime),
            TraceParents = Column(messages, message => message.TraceParent),
            DeliveryIds = allDeliveryIds.ToArray(),
            DeliveryMessageIds = deliveryMessageIds.ToArray(),
            DeliveryTargetIds = deliveryTargetIds.ToArray(),
            DeliveryDueAts = deliveryDueAts.ToArray(),
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(StoreSql, parameters, cancellationToken: cancellationToken));

        return deliveryIds;
    }

    private static T[] Column<T>(IReadOnlyList<MessageToStore> messages, Func<IncomingMessage, T> value)
    {
        var column = new T[messages.Count];
        for (var i = 0; i < column.Length; i++)
        {
            column[i] = value(messages[i].Message);
        }

        return column;
    }
}
