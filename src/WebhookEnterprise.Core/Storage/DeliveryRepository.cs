using Dapper;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>Deliveries in Postgres: loading next attempts, committing their outcomes, resending.</summary>
public sealed class DeliveryRepository(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Loads the deliveries with their messages and targets in one query; a delivery that does
    /// not exist is missing from the answer.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, DeliveryJob>> LoadAsync(
        IReadOnlyCollection<Guid> deliveryIds,
        CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT d.id AS delivery_id, d.state, d.attempts, d.next_run_at,
                   m.id AS message_id, m.source_id, m.method, m.path, m.query, m.headers::text AS headers,
                   m.body, m.remote_address, m.received_at, m.trace_parent,
                   t.id, t.name, t.source_id, s.name AS source_name, t.url, t.timeout_ms,
                   t.retry_policy, t.retry_interval_ms, t.retry_max_interval_ms, t.retry_schedule_ms,
                   t.max_attempts, t.created_at
            FROM deliveries d
            JOIN messages m ON m.id = d.message_id
            LEFT JOIN targets t ON t.id = d.target_id
            LEFT JOIN sources s ON s.id = t.source_id
            WHERE d.id = ANY(@DeliveryIds)
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow, TargetRepository.TargetRow?, DeliveryJob>(
            new CommandDefinition(sql, new { DeliveryIds = deliveryIds.ToArray() }, cancellationToken: cancellationToken),
            (job, target) => job.ToJob(target?.Id == Guid.Empty ? null : target?.ToTarget()),
            splitOn: "id");

        return rows.ToDictionary(job => job.DeliveryId);
    }

    /// <summary>
    /// Commits the outcomes of attempts and their log records, all in one statement. Only an
    /// attempt that follows its delivery's stored count is taken, so a duplicate of an attempt
    /// recorded already records nothing. Answers, for each record in order, whether it was taken.
    /// </summary>
    public async Task<IReadOnlyList<bool>> RecordAttemptsAsync(
        IReadOnlyList<AttemptRecord> records,
        CancellationToken cancellationToken)
    {
        const string sql = """
            WITH attempt AS (
                SELECT *
                FROM unnest(@Ids, @DeliveryIds, @MessageIds, @SourceIds, @TargetIds, @Attempts, @States,
                            @NextRunAts, @CreatedAts, @Data::json[])
                         WITH ORDINALITY
                         AS attempt (id, delivery_id, message_id, source_id, target_id, attempt, state,
                                     next_run_at, created_at, data, position)
            ),
            delivery AS (
                UPDATE deliveries d
                SET state = attempt.state,
                    attempts = attempt.attempt,
                    next_run_at = attempt.next_run_at,
                    updated_at = attempt.created_at
                FROM attempt
                WHERE d.id = attempt.delivery_id
                  AND d.attempts = attempt.attempt - 1
                  AND d.state IN ('pending', 'retrying')
                RETURNING d.id
            )
            INSERT INTO log_records (id, type, message_id, source_id, target_id, delivery_id, created_at, data)
            SELECT attempt.id, 'target.response', attempt.message_id, attempt.source_id, attempt.target_id,
                   attempt.delivery_id, attempt.created_at, attempt.data
            FROM attempt
            JOIN delivery ON delivery.id = attempt.delivery_id
            ORDER BY attempt.position
            RETURNING id
            """;

        // Two records of one delivery in one statement would both join its single updated row,
        // so each statement holds at most one record per delivery; the rest go in the next one
        // and find the count moved on, as a duplicate should.
        var taken = new HashSet<Guid>(records.Count);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        IReadOnlyList<AttemptRecord> remaining = records;
        while (remaining.Count > 0)
        {
            var (distinct, later) = OnePerDelivery(remaining);
            var parameters = new
            {
                Ids = distinct.Select(record => record.Id).ToArray(),
                DeliveryIds = distinct.Select(record => record.DeliveryId).ToArray(),
                MessageIds = distinct.Select(record => record.MessageId).ToArray(),
                SourceIds = distinct.Select(record => record.SourceId).ToArray(),
                TargetIds = distinct.Select(record => record.TargetId).ToArray(),
                Attempts = distinct.Select(record => record.Attempt).ToArray(),
                States = distinct.Select(record => record.State).ToArray(),
                NextRunAts = distinct.Select(record => record.NextRunAt?.UtcDateTime).ToArray(),
                CreatedAts = distinct.Select(record => record.CreatedAt.UtcDateTime).ToArray(),
                Data = distinct.Select(record => record.Data).ToArray(),
            };

            var inserted = await connection.QueryAsync<Guid>(
                new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            taken.UnionWith(inserted);
            remaining = later;
        }

        return [.. records.Select(record => taken.Contains(record.Id))];
    }

    /// <summary>The first record of each delivery, in order, and the records that follow one of theirs.</summary>
    private static (List<AttemptRecord> First, List<AttemptRecord> Later) OnePerDelivery(IReadOnlyList<AttemptRecord> records)
    {
        var deliveries = new HashSet<Guid>(records.Count);
        var first = new List<AttemptRecord>(records.Count);
        var later = new List<AttemptRecord>();
        foreach (var record in records)
        {
            (deliveries.Add(record.DeliveryId) ? first : later).Add(record);
        }

        return (first, later);
    }

    /// <summary>
    /// Creates new deliveries of a stored message, to every target of its source or to the one
    /// named. Answers null when the message does not exist, and an empty list when no target fits.
    /// </summary>
    public async Task<IReadOnlyList<Guid>?> CreateResendAsync(
        Guid messageId,
        string? targetName,
        CancellationToken cancellationToken)
    {
        const string findTargets = """
            SELECT t.id
            FROM messages m
            JOIN targets t ON t.source_id = m.source_id
            WHERE m.id = @MessageId
              AND (@TargetName IS NULL OR t.name = @TargetName)
            ORDER BY t.id
            """;

        const string messageExists = """
            SELECT EXISTS (SELECT 1 FROM messages WHERE id = @MessageId)
            """;

        const string insert = """
            INSERT INTO deliveries (id, message_id, target_id, state, attempts, next_run_at, created_at, updated_at)
            SELECT delivery.id, @MessageId, delivery.target_id, 'pending', 0, now(), now(), now()
            FROM unnest(@DeliveryIds, @TargetIds) AS delivery (id, target_id)
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = new { MessageId = messageId, TargetName = targetName };
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(messageExists, parameters, cancellationToken: cancellationToken)))
        {
            return null;
        }

        var targetIds = (await connection.QueryAsync<Guid>(
            new CommandDefinition(findTargets, parameters, cancellationToken: cancellationToken))).ToArray();
        var deliveryIds = targetIds.Select(_ => Ids.New()).ToArray();
        if (deliveryIds.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                insert,
                new { MessageId = messageId, DeliveryIds = deliveryIds, TargetIds = targetIds },
                cancellationToken: cancellationToken));
        }

        return deliveryIds;
    }

    /// <summary>
    /// Takes deliveries that are overdue by more than <paramref name="grace"/> and leases them for
    /// <paramref name="lease"/>: no sweep takes a leased delivery again, so concurrent sweepers
    /// never take the same one, and a job queued again is not queued a third time while it waits
    /// in the stream. The caller queues what it took; if it dies first, the lease runs out and a
    /// later sweep takes them again. The due time itself is left alone, so the job runs at once.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> TakeOverdueAsync(
        TimeSpan grace,
        TimeSpan lease,
        int limit,
        CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE deliveries
            SET sweep_lease_until = now() + @Lease
            WHERE id IN (
                SELECT id
                FROM deliveries
                WHERE state IN ('pending', 'retrying')
                  AND next_run_at < now() - @Grace
                  AND (sweep_lease_until IS NULL OR sweep_lease_until < now())
                ORDER BY next_run_at
                LIMIT @Limit
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<Guid>(new CommandDefinition(
            sql,
            new { Grace = grace, Lease = lease, Limit = limit },
            cancellationToken: cancellationToken));

        return [.. ids];
    }

    /// <summary>
    /// Fails a delivery that is still open without making an attempt, with a
    /// <c>target.response</c> record that has no attempt number and says why in its
    /// <c>error</c>. Answers false when the delivery had finished already.
    /// </summary>
    public async Task<bool> FailAsync(
        Guid deliveryId,
        string errorKind,
        string errorMessage,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        const string sql = """
            WITH delivery AS (
                UPDATE deliveries
                SET state = 'failed',
                    next_run_at = NULL,
                    updated_at = @Now
                WHERE id = @DeliveryId
                  AND state IN ('pending', 'retrying')
                RETURNING id, message_id, target_id
            )
            INSERT INTO log_records (id, type, message_id, source_id, target_id, delivery_id, created_at, data)
            SELECT @Id, 'target.response', delivery.message_id, m.source_id, delivery.target_id, delivery.id, @Now,
                   json_build_object(
                       'target_name', t.name,
                       'attempt', NULL,
                       'error', json_build_object('kind', @ErrorKind::text, 'message', @ErrorMessage::text),
                       'status', 'failed',
                       'next_run_at', NULL)
            FROM delivery
            JOIN messages m ON m.id = delivery.message_id
            LEFT JOIN targets t ON t.id = delivery.target_id
            """;

        var parameters = new
        {
            Id = Ids.New(),
            DeliveryId = deliveryId,
            ErrorKind = errorKind,
            ErrorMessage = errorMessage,
            Now = now.UtcDateTime,
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(
            new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));

        return inserted == 1;
    }

    private sealed class JobRow
    {
        public Guid DeliveryId { get; init; }

        public string State { get; init; } = "";

        public int Attempts { get; init; }

        public DateTime? NextRunAt { get; init; }

        public Guid MessageId { get; init; }

        public long SourceId { get; init; }

        public string Method { get; init; } = "";

        public string Path { get; init; } = "";

        public string Query { get; init; } = "";

        public string Headers { get; init; } = "[]";

        public byte[] Body { get; init; } = [];

        public string? RemoteAddress { get; init; }

        public DateTime ReceivedAt { get; init; }

        public string? TraceParent { get; init; }

        public DeliveryJob ToJob(Target? target) => new(
            DeliveryId,
            State,
            Attempts,
            NextRunAt is { } nextRunAt ? new DateTimeOffset(nextRunAt, TimeSpan.Zero) : null,
            new IncomingMessage(
                MessageId,
                SourceId,
                Method,
                Path,
                Query,
                HeaderList.FromJson(Headers),
                Body,
                RemoteAddress,
                new DateTimeOffset(ReceivedAt, TimeSpan.Zero))
            { TraceParent = TraceParent },
            target);
    }
}
