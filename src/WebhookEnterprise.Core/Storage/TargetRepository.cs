using Dapper;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>Targets in Postgres, each tied to the source whose messages it receives.</summary>
public sealed class TargetRepository(NpgsqlDataSource dataSource)
{
    private const string SelectTargets = """
        SELECT t.id, t.name, t.source_id, s.name AS source_name, t.url, t.timeout_ms,
               t.retry_policy, t.retry_interval_ms, t.retry_max_interval_ms, t.retry_schedule_ms,
               t.max_attempts, t.created_at
        FROM targets t
        JOIN sources s ON s.id = t.source_id
        """;

    public async Task<Target> AddAsync(
        string name,
        long sourceId,
        string url,
        TimeSpan timeout,
        RetryPolicy policy,
        CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO targets (id, name, source_id, url, timeout_ms, retry_policy, retry_interval_ms,
                                 retry_max_interval_ms, retry_schedule_ms, max_attempts)
            VALUES (@Id, @Name, @SourceId, @Url, @TimeoutMs, @RetryPolicy, @RetryIntervalMs,
                    @RetryMaxIntervalMs, @RetryScheduleMs, @MaxAttempts)
            """;

        var id = Ids.New();
        var parameters = new
        {
            Id = id,
            Name = name,
            SourceId = sourceId,
            Url = url,
            TimeoutMs = (int)timeout.TotalMilliseconds,
            RetryPolicy = RetryPolicy.Name(policy.Kind),
            RetryIntervalMs = (long)policy.Interval.TotalMilliseconds,
            RetryMaxIntervalMs = (long)policy.MaxInterval.TotalMilliseconds,
            RetryScheduleMs = policy.Schedule.Select(step => (long)step.TotalMilliseconds).ToArray(),
            policy.MaxAttempts,
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ConflictException("name", $"A target named '{name}' already exists.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new ConflictException("forward_name", "The source to forward from was removed.");
        }

        return await FindAsync(Ids.Format(id), cancellationToken)
            ?? throw new InvalidOperationException("A target just added could not be read back.");
    }

    public async Task<IReadOnlyList<Target>> ListAsync(long? sourceId, CancellationToken cancellationToken)
    {
        const string sql = SelectTargets + """

            WHERE @SourceId IS NULL OR t.source_id = @SourceId
            ORDER BY t.created_at, t.id
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<TargetRow>(
            new CommandDefinition(sql, new { SourceId = sourceId }, cancellationToken: cancellationToken));

        return [.. rows.Select(row => row.ToTarget())];
    }

    /// <summary>Finds a target by its id or, failing that, by its name.</summary>
    public async Task<Target?> FindAsync(string idOrName, CancellationToken cancellationToken)
    {
        const string sql = SelectTargets + """

            WHERE t.id = @Id OR t.name = @Name
            ORDER BY (t.id = @Id) DESC
            LIMIT 1
            """;

        var id = Ids.TryParse(idOrName, out var parsed) ? parsed : Guid.Empty;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TargetRow>(
            new CommandDefinition(sql, new { Id = id, Name = idOrName }, cancellationToken: cancellationToken));

        return row?.ToTarget();
    }

    public async Task<Target> UpdateAsync(Target target, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE targets
            SET name = @Name,
                source_id = @SourceId,
                url = @Url,
                timeout_ms = @TimeoutMs,
                retry_policy = @RetryPolicy,
                retry_interval_ms = @RetryIntervalMs,
                retry_max_interval_ms = @RetryMaxIntervalMs,
                retry_schedule_ms = @RetryScheduleMs,
                max_attempts = @MaxAttempts,
                updated_at = now()
            WHERE id = @Id
            """;

        var policy = target.RetryPolicy;
        var parameters = new
        {
            target.Id,
            target.Name,
            target.SourceId,
            target.Url,
            TimeoutMs = (int)target.Timeout.TotalMilliseconds,
            RetryPolicy = RetryPolicy.Name(policy.Kind),
            RetryIntervalMs = (long)policy.Interval.TotalMilliseconds,
            RetryMaxIntervalMs = (long)policy.MaxInterval.TotalMilliseconds,
            RetryScheduleMs = policy.Schedule.Select(step => (long)step.TotalMilliseconds).ToArray(),
            policy.MaxAttempts,
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ConflictException("name", $"A target named '{target.Name}' already exists.");
        }

        return await FindAsync(Ids.Format(target.Id), cancellationToken)
            ?? throw new ConflictException("name", $"The target '{target.Name}' was removed meanwhile.");
    }

    public async Task<bool> RemoveAsync(Guid id, CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM targets
            WHERE id = @Id
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(
            new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken));

        return removed > 0;
    }

    internal sealed class TargetRow
    {
        public Guid Id { get; init; }

        public string Name { get; init; } = "";

        public long SourceId { get; init; }

        public string SourceName { get; init; } = "";

        public string Url { get; init; } = "";

        public int TimeoutMs { get; init; }

        public string RetryPolicy { get; init; } = "";

        public long RetryIntervalMs { get; init; }

        public long RetryMaxIntervalMs { get; init; }

        public long[] RetryScheduleMs { get; init; } = [];

        public int MaxAttempts { get; init; }

        public DateTime CreatedAt { get; init; }

        public Target ToTarget() => new(
            Id,
            Name,
            SourceId,
            SourceName,
            Url,
            TimeSpan.FromMilliseconds(TimeoutMs),
            ToPolicy(RetryPolicy, RetryIntervalMs, RetryMaxIntervalMs, RetryScheduleMs, MaxAttempts),
            new DateTimeOffset(CreatedAt, TimeSpan.Zero));
    }

    internal static RetryPolicy ToPolicy(string kind, long intervalMs, long maxIntervalMs, long[] scheduleMs, int maxAttempts) =>
        new(
            Core.RetryPolicy.TryParseKind(kind, out var parsed) ? parsed : RetryPolicyKind.Linear,
            TimeSpan.FromMilliseconds(intervalMs),
            TimeSpan.FromMilliseconds(maxIntervalMs),
            [.. scheduleMs.Select(ms => TimeSpan.FromMilliseconds(ms))],
            maxAttempts);
}
