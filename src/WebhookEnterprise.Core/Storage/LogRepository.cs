using System.Data;
using Dapper;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>What <c>webhook-cli log</c> asks for: record types and the source, target or message they concern.</summary>
public sealed record LogQuery(
    IReadOnlyList<string> Types,
    long? SourceId,
    Guid? TargetId,
    Guid? MessageId);

/// <summary>One log record as stored, with the message it concerns when it is a <c>message</c> record.</summary>
public sealed class LogRow
{
    public long Seq { get; init; }

    public Guid Id { get; init; }

    public string Type { get; init; } = "";

    public Guid MessageId { get; init; }

    public long SourceId { get; init; }

    public string? SourceName { get; init; }

    public Guid? TargetId { get; init; }

    public Guid? DeliveryId { get; init; }

    public DateTime CreatedAt { get; init; }

    public string? Data { get; init; }

    public string? Method { get; init; }

    public string? Path { get; init; }

    public string? Query { get; init; }

    public string? Headers { get; init; }

    public byte[]? Body { get; init; }

    public string? RemoteAddress { get; init; }
}

/// <summary>Reads the log, newest first for <c>-n</c> and in order after a cursor for following.</summary>
public sealed class LogRepository(NpgsqlDataSource dataSource)
{
    private const string SelectRecords = """
        SELECT l.seq, l.id, l.type, l.message_id, l.source_id, s.name AS source_name, l.target_id,
               l.delivery_id, l.created_at, l.data::text AS data,
               m.method, m.path, m.query, m.headers::text AS headers, m.body, m.remote_address
        FROM log_records l
        LEFT JOIN sources s ON s.id = l.source_id
        LEFT JOIN messages m ON l.type = 'message' AND m.id = l.message_id
        WHERE (cardinality(@Types) = 0 OR l.type = ANY(@Types))
          AND (@SourceId IS NULL OR l.source_id = @SourceId)
          AND (@TargetId IS NULL OR l.target_id = @TargetId)
          AND (@MessageId IS NULL OR l.message_id = @MessageId)
        """;

    /// <summary>The last <paramref name="count"/> records that match, oldest first.</summary>
    public async Task<IReadOnlyList<LogRow>> TailAsync(LogQuery query, int count, CancellationToken cancellationToken)
    {
        const string sql = SelectRecords + """

              AND @Count > 0
            ORDER BY l.seq DESC
            LIMIT @Count
            """;

        var rows = await QueryAsync(sql, query, new { Count = count }, cancellationToken);

        return [.. rows.Reverse()];
    }

    /// <summary>Records that match with a sequence number above <paramref name="afterSeq"/>, in order.</summary>
    public async Task<IReadOnlyList<LogRow>> ReadAfterAsync(
        LogQuery query,
        long afterSeq,
        int limit,
        CancellationToken cancellationToken)
    {
        const string sql = SelectRecords + """

              AND l.seq > @AfterSeq
            ORDER BY l.seq
            LIMIT @Limit
            """;

        return [.. await QueryAsync(sql, query, new { AfterSeq = afterSeq, Limit = limit }, cancellationToken)];
    }

    /// <summary>The highest sequence number in the log, or 0 when it is empty.</summary>
    public async Task<long> LastSeqAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT COALESCE(MAX(seq), 0)
            FROM log_records
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, cancellationToken: cancellationToken));
    }

    private async Task<IEnumerable<LogRow>> QueryAsync(
        string sql,
        LogQuery query,
        object extra,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("Types", query.Types.ToArray());
        parameters.Add("SourceId", query.SourceId, DbType.Int64);
        parameters.Add("TargetId", query.TargetId, DbType.Guid);
        parameters.Add("MessageId", query.MessageId, DbType.Guid);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        return await connection.QueryAsync<LogRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }
}
