using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// A gateway whose worker commits attempts' outcomes with one statement at a time, so that
/// attempts finishing together wait for each other's commits and are committed together.
/// </summary>
public sealed class OneStoreWriterGateway : Gateway
{
    public OneStoreWriterGateway()
    {
        WorkerSettings["Worker__StoreWriters"] = "1";
    }
}

/// <summary>
/// A worker gathers the outcomes of concurrent attempts into shared commits, and one statement
/// still records each attempt once, in order, refusing a copy of an attempt already taken.
/// </summary>
public sealed class DeliveryBatchingTests(OneStoreWriterGateway gateway) : IClassFixture<OneStoreWriterGateway>
{
    private const int Senders = 200;

    [Fact]
    public async Task ConcurrentAttempts_AreCommittedTogether_AndEachIsRecordedOnce()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        var ledger = new DeliveryLedger(route.Url);

        await ledger.SendTogetherAsync(Senders, connections: 64);

        Assert.All(ledger.Answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        await Eventually.TrueAsync(
            async () => (await CountOutcomesAsync(route.SourceId)).Records == Senders,
            $"all {Senders} outcomes to be recorded");
        ledger.AssertBalanced(target.Received, atLeast: 1, mostCopiesEach: 1, mostDuplicates: 0);

        var (succeeded, records, transactions) = await CountOutcomesAsync(route.SourceId);
        Assert.Equal(Senders, succeeded);
        Assert.Equal(Senders, records);

        // Rows written by one commit share its transaction id.
        Assert.InRange(transactions, 1, Senders - 1);
    }

    [Fact]
    public async Task OneStatement_TakesTheNextAttemptOfEachDelivery_AndRefusesACopy()
    {
        // Wired as the api and workers wire it, Dapper's column mapping included.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"ConnectionStrings:{GatewayConnections.Postgres}"] = gateway.PostgresConnectionString,
            })
            .Build();
        await using var services = new ServiceCollection().AddGatewayStorage(configuration).BuildServiceProvider();
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var now = DateTimeOffset.UtcNow;
        var message = new IncomingMessage(
            Ids.New(), Random.Shared.NextInt64(1_000_000, long.MaxValue), "POST", "", "", [], "{}"u8.ToArray(), null, now);
        var targetId = Guid.NewGuid();
        var stored = await services.GetRequiredService<MessageStore>().StoreAsync(
            [new MessageToStore(message, [targetId, targetId])],
            CancellationToken.None);
        var (first, second) = (stored[0][0], stored[0][1]);
        AttemptRecord Record(Guid deliveryId, int attempt, string state) => new(
            Ids.New(), deliveryId, message.Id, message.SourceId, targetId, attempt, state,
            state == DeliveryState.Retrying ? now.AddMinutes(1) : null, now, $"{{\"attempt\": {attempt}}}");
        var repository = services.GetRequiredService<DeliveryRepository>();

        var taken = await repository.RecordAttemptsAsync(
            [
                Record(first, 1, DeliveryState.Retrying),
                Record(first, 1, DeliveryState.Retrying),
                Record(second, 1, DeliveryState.Succeeded),
                Record(first, 3, DeliveryState.Succeeded),
            ],
            CancellationToken.None);

        Assert.Equal([true, false, true, false], taken);
        Assert.Equal([true], await repository.RecordAttemptsAsync([Record(first, 2, DeliveryState.Succeeded)], CancellationToken.None));
        var loaded = await repository.LoadAsync([first, second, Guid.NewGuid()], CancellationToken.None);
        Assert.Equal(2, loaded.Count);
        Assert.Equal((DeliveryState.Succeeded, 2), (loaded[first].State, loaded[first].Attempts));
        Assert.Equal((DeliveryState.Succeeded, 1), (loaded[second].State, loaded[second].Attempts));

        const string recordsSql = """
            SELECT delivery_id, data->>'attempt'
            FROM log_records
            WHERE type = 'target.response'
              AND message_id = @id
            ORDER BY seq
            """;
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(recordsSql, connection);
        command.Parameters.AddWithValue("id", message.Id);
        await using var reader = await command.ExecuteReaderAsync();
        var records = new List<(Guid, string)>();
        while (await reader.ReadAsync())
        {
            records.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        Assert.Equal([(first, "1"), (second, "1"), (first, "2")], records);
    }

    private async Task<(long Succeeded, long Records, long Transactions)> CountOutcomesAsync(long sourceId)
    {
        const string sql = """
            SELECT (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id
                    WHERE m.source_id = @id AND d.state = 'succeeded'),
                   (SELECT count(*) FROM log_records WHERE type = 'target.response' AND source_id = @id),
                   (SELECT count(DISTINCT xmin::text) FROM log_records WHERE type = 'target.response' AND source_id = @id)
            """;

        await using var connection = new NpgsqlConnection(gateway.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", sourceId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
