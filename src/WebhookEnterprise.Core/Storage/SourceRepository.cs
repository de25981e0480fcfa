using Dapper;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>Sources in Postgres: what the management API changes and what ingress checks.</summary>
public sealed class SourceRepository(NpgsqlDataSource dataSource)
{
    public async Task<Source> AddAsync(
        string name,
        int statusCode,
        string contentType,
        string content,
        CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO sources (name, key, secret, status_code, content_type, content)
            VALUES (@Name, @Key, @Secret, @StatusCode, @ContentType, @Content)
            RETURNING id, name, key, secret, status_code, content_type, content, created_at
            """;

        var parameters = new
        {
            Name = name,
            Key = Ids.NewSecret(),
            Secret = Ids.NewSecret(),
            StatusCode = statusCode,
            ContentType = contentType,
            Content = content,
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var row = await connection.QuerySingleAsync<SourceRow>(
                new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));

            return row.ToSource();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ConflictException("name", $"A source named '{name}' already exists.");
        }
    }

    public async Task<IReadOnlyList<Source>> ListAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, name, key, secret, status_code, content_type, content, created_at
            FROM sources
            ORDER BY id
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SourceRow>(
            new CommandDefinition(sql, cancellationToken: cancellationToken));

        return [.. rows.Select(row => row.ToSource())];
    }

    /// <summary>Finds a source by its id or, failing that, by its name.</summary>
    public async Task<Source?> FindAsync(string idOrName, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, name, key, secret, status_code, content_type, content, created_at
            FROM sources
            WHERE id = @Id OR name = @Name
            ORDER BY (id = @Id) DESC
            LIMIT 1
            """;

        var id = long.TryParse(idOrName, out var parsed) ? parsed : -1;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SourceRow>(
            new CommandDefinition(sql, new { Id = id, Name = idOrName }, cancellationToken: cancellationToken));

        return row?.ToSource();
    }

    public async Task<Source?> UpdateAsync(
        long id,
        string? name,
        int? statusCode,
        string? contentType,
        string? content,
        CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE sources
            SET name = COALESCE(@Name, name),
                status_code = COALESCE(@StatusCode, status_code),
                content_type = COALESCE(@ContentType, content_type),
                content = COALESCE(@Content, content),
                updated_at = now()
            WHERE id = @Id
            RETURNING id, name, key, secret, status_code, content_type, content, created_at
            """;

        var parameters = new { Id = id, Name = name, StatusCode = statusCode, ContentType = contentType, Content = content };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var row = await connection.QuerySingleOrDefaultAsync<SourceRow>(
                new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));

            return row?.ToSource();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ConflictException("name", $"A source named '{name}' already exists.");
        }
    }

    /// <summary>Removes a source and its targets; its stored messages and log stay.</summary>
    public async Task<bool> RemoveAsync(long id, CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM sources
            WHERE id = @Id
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(
            new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken));

        return removed > 0;
    }

    /// <summary>What ingress needs to accept a message: the source and the ids of its targets.</summary>
    public async Task<IngressSource?> FindForIngressAsync(long id, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT s.id, s.key, s.secret, s.status_code, s.content_type, s.content,
                   ARRAY(SELECT t.id FROM targets t WHERE t.source_id = s.id ORDER BY t.id) AS target_ids
            FROM sources s
            WHERE s.id = @Id
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<IngressRow>(
            new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken));

        return row is null
            ? null
            : new IngressSource(row.Id, row.Key, row.Secret, row.StatusCode, row.ContentType, row.Content, row.TargetIds);
    }

    private sealed class SourceRow
    {
        public long Id { get; init; }

        public string Name { get; init; } = "";

        public string Key { get; init; } = "";

        public string Secret { get; init; } = "";

        public int StatusCode { get; init; }

        public string ContentType { get; init; } = "";

        public string Content { get; init; } = "";

        public DateTime CreatedAt { get; init; }

        public Source ToSource() =>
            new(Id, Name, Key, Secret, StatusCode, ContentType, Content, new DateTimeOffset(CreatedAt, TimeSpan.Zero));
    }

    private sealed class IngressRow
    {
        public long Id { get; init; }

        public string Key { get; init; } = "";

        public string Secret { get; init; } = "";

        public int StatusCode { get; init; }

        public string ContentType { get; init; } = "";

        public string Content { get; init; } = "";

        public Guid[] TargetIds { get; init; } = [];
    }
}

/// <summary>A source as ingress sees it: credentials, canned answer and the targets to deliver to.</summary>
public sealed record IngressSource(
    long Id,
    string Key,
    string Secret,
    int StatusCode,
    string ContentType,
    string Content,
    IReadOnlyList<Guid> TargetIds);
