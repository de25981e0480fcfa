using System.Text.Json;
using Npgsql;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Tests.Infrastructure;
using Xunit.Abstractions;

namespace WebhookEnterprise.Tests;

/// <summary>
/// Workers that die, stop or meet a job they cannot handle: no acknowledged message is lost,
/// copies stay bounded, and a bad job neither loops for ever nor holds up the others.
/// </summary>
public sealed class ReliabilityWorkerCrashTests(GatewayWithoutWorkers gateway, ITestOutputHelper output)
    : IClassFixture<GatewayWithoutWorkers>
{
    private static readonly TimeSpan ShortAttempt = TimeSpan.FromSeconds(3);

    // The shortest idle time the worker accepts for that attempt time.
    private static readonly TimeSpan ShortClaimIdle = ShortAttempt + TimeSpan.FromSeconds(30);

    private static readonly RedisKeys Keys = new(new QueueOptions().KeyPrefix);

    [Fact]
    public async Task KilledWorker_RestartedUnderItsName_FinishesItsJobsAtOnce()
    {
        await using var target = await RecordingTarget.StartAsync();
        var held = new HeldAnswers();
        target.Respond = held.RespondAsync;
        var ledger = new DeliveryLedger(await gateway.AddSourceAndTargetAsync("Crash Restart", target.Url()));
        var settings = Settings("restarted-worker");
        var worker = await gateway.StartWorkerAsync(settings);
        using var http = new HttpClient();

        for (var i = 0; i < 5; i++)
        {
            (await ledger.SendAsync(http)).EnsureSuccessStatusCode();
        }

        await target.WaitForAsync(5);
        await worker.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        held.Release();
        var restarted = await gateway.StartWorkerAsync(settings);

        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received, atLeast: 2)),
            $"the restarted worker to send its jobs again:\n{restarted.Output}",
            TimeSpan.FromSeconds(60));

        // Well inside the claim idle time: the worker took up its own jobs, nobody claimed them.
        Assert.True(DateTimeOffset.UtcNow - killedAt < TimeSpan.FromMinutes(1), "The jobs were not resumed at once.");
        output.WriteLine(ledger.AssertBalanced(target.Received, atLeast: 2, mostCopiesEach: 2, mostDuplicates: 0));
        await AssertEachSucceededOnceAsync("Crash Restart", count: 5);
        Assert.Equal(0, await restarted.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task KilledWorker_ItsJobsAreTakenOverByAnotherAfterTheClaimIdleTime()
    {
        await using var target = await RecordingTarget.StartAsync();
        var held = new HeldAnswers();
        target.Respond = held.RespondAsync;
        var ledger = new DeliveryLedger(await gateway.AddSourceAndTargetAsync("Crash Claim", target.Url()));
        var victim = await gateway.StartWorkerAsync(Settings("claim-victim"));
        using var http = new HttpClient();

        for (var i = 0; i < 3; i++)
        {
            (await ledger.SendAsync(http)).EnsureSuccessStatusCode();
        }

        await target.WaitForAsync(3);
        var rescuer = await gateway.StartWorkerAsync(Settings("claim-rescuer"));
        await victim.KillAsync();
        held.Release();

        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received, atLeast: 2)),
            $"another worker to take over the dead worker's jobs:\n{rescuer.Output}",
            ShortClaimIdle + TimeSpan.FromSeconds(45));

        output.WriteLine(ledger.AssertBalanced(target.Received, atLeast: 2, mostCopiesEach: 2, mostDuplicates: 0));
        foreach (var copies in target.Received.GroupBy(request => request.Header(DeliveryLedger.MarkerHeader)))
        {
            // Taken over only once idle for the claim idle time, counted from the dead worker's
            // read, which came just before its request arrived.
            var gap = copies.Last().ReceivedAt - copies.First().ReceivedAt;
            Assert.InRange(gap, ShortClaimIdle - TimeSpan.FromSeconds(1), ShortClaimIdle + TimeSpan.FromSeconds(30));
        }

        Assert.Contains("Took over", rescuer.Output, StringComparison.Ordinal);
        await AssertEachSucceededOnceAsync("Crash Claim", count: 3);
        Assert.Equal(0, await rescuer.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task StoppedWorker_FinishesAndRecordsItsAttemptInFlight_ThenExitsZero()
    {
        await using var target = await RecordingTarget.StartAsync();
        var held = new HeldAnswers();
        target.Respond = held.RespondAsync;
        var ledger = new DeliveryLedger(await gateway.AddSourceAndTargetAsync("Graceful Stop", target.Url()));
        var worker = await gateway.StartWorkerAsync(Settings("stopping-worker"));
        using var http = new HttpClient();

        (await ledger.SendAsync(http)).EnsureSuccessStatusCode();
        await target.WaitForAsync(1);
        var stopped = worker.StopAsync(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(
            () => Task.FromResult(worker.Output.Contains("Stopping: waiting up to", StringComparison.Ordinal)),
            $"the worker to wait for its attempt in flight:\n{worker.Output}");

        // Sent while the worker stops: it takes no new work, so this waits for the next worker.
        (await ledger.SendAsync(http)).EnsureSuccessStatusCode();
        held.Release();

        Assert.Equal(0, await stopped);
        Assert.Single(target.Received);
        await AssertEachSucceededOnceAsync("Graceful Stop", count: 1);

        var next = await gateway.StartWorkerAsync(Settings("after-stop-worker"));
        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received)),
            "the next worker to send the second message");
        output.WriteLine(ledger.AssertBalanced(target.Received, atLeast: 1, mostCopiesEach: 1, mostDuplicates: 0));
        await AssertEachSucceededOnceAsync("Graceful Stop", count: 2);
        Assert.Equal(0, await next.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task UnhandleableJob_IsFailedWithItsErrorAfterItsDeliveries_WithoutHoldingUpOthers()
    {
        const int maxDeliveries = 4;
        await using var target = await RecordingTarget.StartAsync();
        var ledger = new DeliveryLedger(await gateway.AddSourceAndTargetAsync("Bad Job", target.Url()));
        var worker = await gateway.StartWorkerAsync(new Dictionary<string, string?>
        {
            ["Worker__Name"] = "bad-job-worker",
            ["Worker__Concurrency"] = "1",
            ["Worker__MaxJobDeliveries"] = maxDeliveries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var http = new HttpClient();

        // A stored message no worker can send: its method is not an HTTP token. Queued first, and
        // with one attempt at a time, so that a job holding on to its slot would block the rest.
        var bad = await QueueUnsendableDeliveryAsync("Bad Job");
        for (var i = 0; i < 5; i++)
        {
            (await ledger.SendAsync(http)).EnsureSuccessStatusCode();
        }

        await Eventually.TrueAsync(() => Task.FromResult(ledger.AllArrived(target.Received)), "the good messages to arrive");
        var lastGoodArrival = target.Received.Max(request => request.ReceivedAt);
        var failure = await Eventually.GetAsync<object>(
            async () => (await gateway.LogAsync($"type=target.response&message={Ids.Format(bad.MessageId)}&n=10"))
                .Cast<JsonElement?>()
                .FirstOrDefault(),
            $"the bad job's delivery to fail:\n{worker.Output}");
        var record = (JsonElement)failure;

        Assert.Equal("failed", record.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("attempt").ValueKind);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("next_run_at").ValueKind);
        Assert.Equal("gateway", record.GetProperty("error").GetProperty("kind").GetString());
        var message = record.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains($"in {maxDeliveries} tries", message, StringComparison.Ordinal);
        Assert.Contains("FormatException", message, StringComparison.Ordinal);
        var (state, failedAt) = await DeliveryStateAsync(bad.DeliveryId);
        Assert.Equal("failed", state);
        Assert.True(
            lastGoodArrival < failedAt,
            $"The good messages waited for the bad job: the last arrived at {lastGoodArrival:O}, after it failed at {failedAt:O}.");
        output.WriteLine(ledger.AssertBalanced(target.Received, atLeast: 1, mostCopiesEach: 1, mostDuplicates: 0));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(gateway.RedisConnectionString);
        var pending = await redis.GetDatabase().StreamPendingMessagesAsync(
            Keys.DeliveryStream,
            RedisKeys.WorkerGroup,
            10,
            RedisValue.Null,
            bad.EntryId,
            bad.EntryId);
        Assert.Empty(pending);
        Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Worker_RefusesToStartWhenAJobCouldBeTakenOverInFlight()
    {
        var result = await gateway.CliAsync(
            new Dictionary<string, string?>
            {
                ["Worker__MaxAttemptTime"] = "00:01:00",
                ["Worker__ClaimIdleTime"] = "00:01:10",
            },
            "run",
            "worker");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(
            "Worker:ClaimIdleTime (00:01:10) must be at least Worker:MaxAttemptTime (00:01:00) plus 30 seconds",
            line,
            StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(string name) => new()
    {
        ["Worker__Name"] = name,
        ["Worker__MaxAttemptTime"] = ShortAttempt.ToString(),
        ["Worker__ClaimIdleTime"] = ShortClaimIdle.ToString(),
    };

    /// <summary>Asserts that the target's deliveries each succeeded on their first recorded attempt, once.</summary>
    private async Task AssertEachSucceededOnceAsync(string targetName, int count)
    {
        var records = await Eventually.GetAsync(
            async () =>
            {
                var found = await gateway.LogAsync($"type=target.response&target={Uri.EscapeDataString(targetName)}&n=1000");

                return found.Count >= count ? found : null;
            },
            $"{count} target.response records of {targetName}");

        Assert.Equal(count, records.Count);
        Assert.Equal(count, records.Select(record => record.GetProperty("delivery_id").GetString()).Distinct().Count());
        Assert.All(records, record =>
        {
            Assert.Equal("succeeded", record.GetProperty("status").GetString());
            Assert.Equal(1, record.GetProperty("attempt").GetInt32());
        });
    }

    /// <summary>Stores a message whose method no HTTP client takes, with a delivery to the target, and queues its job.</summary>
    private async Task<QueuedDelivery> QueueUnsendableDeliveryAsync(string targetName)
    {
        const string sql = """
            WITH target AS (
                SELECT id, source_id
                FROM targets
                WHERE name = @name
            ),
            message AS (
                INSERT INTO messages (id, source_id, method, path, query, headers, body, remote_address, received_at)
                SELECT @message, target.source_id, 'NOT A METHOD', '', '', '[]', '', NULL, now()
                FROM target
                RETURNING id
            )
            INSERT INTO deliveries (id, message_id, target_id, state, attempts, next_run_at, created_at, updated_at)
            SELECT @delivery, message.id, target.id, 'pending', 0, now(), now(), now()
            FROM message, target
            """;

        var messageId = Ids.New();
        var deliveryId = Ids.New();
        await using (var connection = new NpgsqlConnection(gateway.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("name", targetName);
            command.Parameters.AddWithValue("message", messageId);
            command.Parameters.AddWithValue("delivery", deliveryId);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(gateway.RedisConnectionString);
        var entryId = await redis.GetDatabase().StreamAddAsync(Keys.DeliveryStream, RedisKeys.DeliveryField, Ids.Format(deliveryId));

        return new QueuedDelivery(messageId, deliveryId, entryId);
    }

    private async Task<(string State, DateTimeOffset UpdatedAt)> DeliveryStateAsync(Guid deliveryId)
    {
        const string sql = """
            SELECT state, updated_at
            FROM deliveries
            WHERE id = @id
            """;

        await using var connection = new NpgsqlConnection(gateway.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", deliveryId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        return (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
    }

    private sealed record QueuedDelivery(Guid MessageId, Guid DeliveryId, RedisValue EntryId);
}
