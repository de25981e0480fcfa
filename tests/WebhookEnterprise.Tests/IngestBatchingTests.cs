using System.Net;
using Npgsql;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// A gateway whose api commits messages with one writer, so that messages arriving together
/// wait for each other's commits and are committed together.
/// </summary>
public sealed class OneIngestWriterGateway : Gateway
{
    public OneIngestWriterGateway()
    {
        ApiSettings["Api__IngestWriters"] = "1";
    }
}

/// <summary>
/// Messages of concurrent senders are committed together and each still stored once, delivered,
/// and answered only once durable; changes to sources and targets reach ingress at once.
/// </summary>
public sealed class IngestBatchingTests(OneIngestWriterGateway gateway) : IClassFixture<OneIngestWriterGateway>
{
    private const int Senders = 200;

    [Fact]
    public async Task ConcurrentMessages_AreCommittedTogether_AndEachIsStoredAndDelivered()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        var ledger = new DeliveryLedger(route.Url);

        await ledger.SendTogetherAsync(Senders, connections: 64);

        Assert.All(ledger.Answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received)),
            $"all {Senders} messages to arrive");
        ledger.AssertBalanced(target.Received, atLeast: 1, mostCopiesEach: 1, mostDuplicates: 0);

        var (messages, deliveries, records, transactions) = await CountStoredAsync(route.SourceId);
        Assert.Equal(Senders, messages);
        Assert.Equal(Senders, deliveries);
        Assert.Equal(Senders, records);

        // Rows written by one commit share its transaction id.
        Assert.InRange(transactions, 1, Senders - 1);
    }

    [Fact]
    public async Task OneCommit_StoresEachMessageWithItsOwnDeliveriesAndRecordInOrder()
    {
        await using var dataSource = NpgsqlDataSource.Create(gateway.PostgresConnectionString);
        var store = new MessageStore(dataSource);
        var sourceId = Random.Shared.NextInt64(1_000_000, long.MaxValue);
        var now = DateTimeOffset.UtcNow;
        IncomingMessage Message(byte[] body, string? remoteAddress) =>
            new(Ids.New(), sourceId, "POST", "/sub", "a=1", [new("X-Test", "yes")], body, remoteAddress, now);
        MessageToStore[] batch =
        [
            new(Message("{\"n\": 1}"u8.ToArray(), "127.0.0.1") with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, [Guid.NewGuid(), Guid.NewGuid()]),
            new(Message([], null), []),
            new(Message([0x00, 0xff, 0x1f], "::1"), [Guid.NewGuid()]),
        ];

        var deliveryIds = await store.StoreAsync(batch, CancellationToken.None);

        Assert.Equal([2, 0, 1], deliveryIds.Select(ids => ids.Count));
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < batch.Length; i++)
        {
            var (message, targets) = batch[i];
            Assert.Equal(message.Body, await gateway.StoredBodyAsync(Ids.Format(message.Id)));
            var stored = await QueryAsync(
                connection,
                "SELECT id, target_id FROM deliveries WHERE message_id = @id ORDER BY target_id",
                message.Id,
                reader => (reader.GetGuid(0), reader.GetGuid(1)));
            Assert.Equal(
                deliveryIds[i].Zip(targets).OrderBy(pair => pair.Second),
                stored);
            var traceParent = await QueryAsync(
                connection,
                "SELECT trace_parent FROM messages WHERE id = @id",
                message.Id,
                reader => reader.IsDBNull(0) ? null : reader.GetString(0));
            Assert.Equal(message.TraceParent, Assert.Single(traceParent));
        }

        var records = await QueryAsync(
            connection,
            "SELECT message_id FROM log_records WHERE type = 'message' AND message_id = ANY(@id) ORDER BY seq",
            batch.Select(item => item.Message.Id).ToArray(),
            reader => reader.GetGuid(0));
        Assert.Equal(batch.Select(item => item.Message.Id), records);
    }

    [Fact]
    public async Task ChangesThroughTheManagementApi_ReachIngressAtOnce()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        using var http = new HttpClient();
        async Task<HttpStatusCode> SendAsync()
        {
            using var request = route.Request(HttpMethod.Post);
            request.Content = new StringContent("{}");
            using var response = await http.SendAsync(request);

            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await SendAsync());

        var update = await gateway.CliAsync("source", "update", route.Name, "--status-code", "202");
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync());

        var added = await gateway.CliAsync("target", "add", "--name", route.Name + "-second", "--forward-name", route.Name, "--url", target.Url());
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync());
        var (_, deliveries, _, _) = await CountStoredAsync(route.SourceId);
        Assert.Equal(4, deliveries);

        var removed = await gateway.CliAsync("source", "remove", route.Name);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync());
    }

    private async Task<(long Messages, long Deliveries, long Records, long Transactions)> CountStoredAsync(long sourceId)
    {
        const string sql = """
            SELECT (SELECT count(*) FROM messages WHERE source_id = @id),
                   (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.source_id = @id),
                   (SELECT count(*) FROM log_records WHERE type = 'message' AND source_id = @id),
                   (SELECT count(DISTINCT xmin::text) FROM messages WHERE source_id = @id)
            """;

        await using var connection = new NpgsqlConnection(gateway.PostgresConnectionString);
        await connection.OpenAsync();
        var rows = await QueryAsync(connection, sql, sourceId, reader => (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));

        return Assert.Single(rows);
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection connection, string sql, object id, Func<NpgsqlDataReader, T> read)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
