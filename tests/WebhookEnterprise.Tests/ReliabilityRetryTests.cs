using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Tests.Infrastructure;
using WebhookEnterprise.Worker;
using Xunit.Abstractions;

namespace WebhookEnterprise.Tests;

/// <summary>
/// Retries as targets' policies plan them: attempts at the planned times, a stop at the limit,
/// <c>Retry-After</c> honoured, and each retry run once however many workers promote it.
/// </summary>
public sealed class ReliabilityRetryTests(GatewayWithoutWorkers gateway, ITestOutputHelper output)
    : IClassFixture<GatewayWithoutWorkers>
{
    // A retry is due when planned; it runs after the promoter's next look (200 ms) and a trip
    // through the stream. The slack is for a two-core machine that is building meanwhile.
    private static readonly TimeSpan Late = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Early = TimeSpan.FromMilliseconds(50);

    private static readonly RedisKeys Keys = new(new QueueOptions().KeyPrefix);

    [Fact]
    public async Task RetryPolicies_AttemptAtThePlannedTimes_StopAtTheLimit_AndHonourRetryAfter()
    {
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = RespondAsPathSays;
        var plans = new TimingPlan[]
        {
            new("Timing Linear", "/linear", "--retry-interval 2s --max-attempts 3", [(2, 2), (2, 2)]),
            new(
                "Timing Exponential",
                "/exponential",
                "--retry-policy exponential --retry-interval 1s --retry-max-interval 2s --max-attempts 4",
                [(0.5, 1), (1, 2), (1, 2)]),
            new("Timing Schedule", "/schedule", "--retry-policy schedule --retry-schedule 1s,3s", [(1, 1), (3, 3)]),
            new("Timing None", "/none", "--retry-policy none", []),
            new("Timing Retry-After", "/retry-after", "--retry-interval 1s --max-attempts 3", [(3, 3), (3, 3)]),
            new("Timing Retry-After Date", "/retry-after-date", "--retry-interval 1s --max-attempts 2", [(3, 4)]),
            new("Timing Retry-After Unreadable", "/retry-after-unreadable", "--retry-interval 1s --max-attempts 2", [(1, 1)]),
        };
        var url = await AddSourceAsync("Policy Timing");
        foreach (var plan in plans)
        {
            await AddTargetAsync(plan.Name, "Policy Timing", target.Url(plan.Path), plan.Options);
        }

        await AddTargetAsync("Timing Narrowed", "Policy Timing", target.Url("/narrowed"), "--retry-interval 3s --max-attempts 5");
        var worker = await gateway.StartWorkerAsync(new Dictionary<string, string?> { ["Worker__Name"] = "policy-timing" });
        var ledger = new DeliveryLedger(url);
        using var http = new HttpClient();

        (await ledger.SendAsync(http)).EnsureSuccessStatusCode();

        // The policy is narrowed after the first attempt: the planned second one is not made.
        await Eventually.TrueAsync(
            () => Task.FromResult(target.Received.Any(request => request.RawTarget == "/narrowed")),
            "the first attempt at /narrowed");
        var narrowed = await gateway.CliAsync("target", "update", "Timing Narrowed", "--max-attempts", "1");
        Assert.True(narrowed.ExitCode == 0, narrowed.ToString());

        var records = await Eventually.GetAsync(
            async () =>
            {
                var byTarget = (await gateway.LogAsync("type=target.response&source=Policy%20Timing&n=1000"))
                    .GroupBy(record => record.GetProperty("target").GetProperty("name").GetString() ?? "")
                    .ToDictionary(group => group.Key, group => group.ToList());
                var finished = byTarget.Count == plans.Length + 1
                    && byTarget.Values.All(list => list[^1].GetProperty("status").GetString() == "failed");

                return finished ? byTarget : null;
            },
            $"every delivery to run out of attempts:\n{worker.Output}");

        foreach (var plan in plans)
        {
            var arrivals = target.Received
                .Where(request => request.RawTarget == plan.Path)
                .Select(request => request.ReceivedAt)
                .ToList();
            var gaps = arrivals.Zip(arrivals.Skip(1), (earlier, later) => later - earlier).ToList();
            var shown = gaps.Select(gap => gap.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
            output.WriteLine($"{plan.Name}: waited {string.Join(", ", shown)} seconds");

            Assert.Equal(plan.Waits.Length + 1, arrivals.Count);
            for (var i = 0; i < gaps.Count; i++)
            {
                var (least, most) = plan.Waits[i];
                Assert.InRange(gaps[i], TimeSpan.FromSeconds(least) - Early, TimeSpan.FromSeconds(most) + Late);
            }

            var planned = records[plan.Name];
            var statuses = planned.Select(record => record.GetProperty("status").GetString());
            Assert.Equal([.. Enumerable.Repeat("retrying", plan.Waits.Length), "failed"], statuses);
            Assert.Equal(Enumerable.Range(1, arrivals.Count), planned.Select(record => record.GetProperty("attempt").GetInt32()));
            Assert.All(
                planned.SkipLast(1),
                record => Assert.Equal(JsonValueKind.String, record.GetProperty("next_run_at").ValueKind));
            Assert.Equal(JsonValueKind.Null, planned[^1].GetProperty("next_run_at").ValueKind);
        }

        Assert.Single(target.Received, request => request.RawTarget == "/narrowed");
        var stopped = records["Timing Narrowed"][^1];
        Assert.Equal(JsonValueKind.Null, stopped.GetProperty("attempt").ValueKind);
        Assert.Equal(AttemptErrorKind.AttemptsExhausted, stopped.GetProperty("error").GetProperty("kind").GetString());

        // Nothing more can come: every delivery is failed in Postgres and none waits in Redis.
        await AssertNothingScheduledAsync(records.Values.Select(list => list[0].GetProperty("delivery_id").GetString()!));
        Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task TwoWorkers_PromotingTheSameDueRetries_RunEachRetryOnce()
    {
        const int messages = 40;
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = static (request, context) =>
        {
            var first = request.Header(TargetClient.AttemptHeader) == "1";
            context.Response.StatusCode = first ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;

            return context.Response.WriteAsync(first ? "MAINTENANCE" : "OK");
        };
        var url = await gateway.AddSourceAndTargetAsync("Promoted Twice", target.Url(), "--retry-interval", "2s", "--max-attempts", "3");
        var ledger = new DeliveryLedger(url);
        var workers = new List<ChildProcess>();
        foreach (var name in new[] { "promoter-a", "promoter-b" })
        {
            // Both look for due retries every 50 ms, so that they meet on the same ones.
            workers.Add(await gateway.StartWorkerAsync(new Dictionary<string, string?>
            {
                ["Worker__Name"] = name,
                ["Worker__PromoteInterval"] = "00:00:00.050",
            }));
        }

        using var http = new HttpClient();
        var answers = await Task.WhenAll(Enumerable.Range(0, messages).Select(_ => ledger.SendAsync(http)));
        Assert.All(answers, answer => answer.EnsureSuccessStatusCode());

        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received, atLeast: 2)),
            "every message's retry to arrive");

        output.WriteLine(ledger.AssertBalanced(target.Received, atLeast: 2, mostCopiesEach: 2, mostDuplicates: 0));
        var records = await gateway.LogAsync("type=target.response&target=Promoted%20Twice&n=1000");
        Assert.All(
            records.GroupBy(record => record.GetProperty("delivery_id").GetString()),
            delivery => Assert.Equal(["retrying", "succeeded"], delivery.Select(record => record.GetProperty("status").GetString())));
        Assert.Equal(messages * 2, records.Count);
        foreach (var worker in workers)
        {
            Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
        }
    }

    [Fact]
    public async Task PromoteDue_MovesEachDueRetryOnce_WhenPromotersRace()
    {
        const int retries = 2000;
        var options = Options.Create(new QueueOptions { KeyPrefix = $"promote-race-{Guid.NewGuid():N}" });
        var connections = new List<ConnectionMultiplexer>();
        for (var i = 0; i < 4; i++)
        {
            connections.Add(await ConnectionMultiplexer.ConnectAsync(gateway.RedisConnectionString));
        }

        try
        {
            var queues = connections.Select(connection => new DeliveryQueue(connection, options)).ToList();
            var now = DateTimeOffset.UtcNow;
            var ids = Enumerable.Range(0, retries).Select(_ => Ids.New()).ToList();
            await Task.WhenAll(ids.Select(id => queues[0].ScheduleRetryAsync(id, now - TimeSpan.FromSeconds(1))));

            var moved = await Task.WhenAll(queues.Select(async queue =>
            {
                var total = 0;
                int batch;
                while ((batch = await queue.PromoteDueAsync(now, limit: 25)) > 0)
                {
                    total += batch;
                }

                return total;
            }));

            var database = connections[0].GetDatabase();
            var entries = await database.StreamRangeAsync(queues[0].Keys.DeliveryStream);
            output.WriteLine($"moved by each promoter: {string.Join(", ", moved)}");
            Assert.Equal(retries, moved.Sum());
            Assert.Equal(retries, entries.Length);
            Assert.Equal(ids.Select(Ids.Format).Order(), entries.Select(entry => (string)entry[RedisKeys.DeliveryField]!).Order());
            Assert.Equal(0, await database.SortedSetLengthAsync(queues[0].Keys.Retries));
            await database.KeyDeleteAsync([queues[0].Keys.DeliveryStream, queues[0].Keys.Retries]);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TargetPolicies_AreSetShownAndRefusedByTheCommandLine()
    {
        await AddSourceAsync("Policy Settings");

        await AddTargetAsync("Settings Default", "Policy Settings", "http://127.0.0.1:9/", "");
        var defaults = await ShowTargetAsync("Settings Default");
        Assert.Equal("linear", defaults.GetProperty("retry_policy").GetString());
        Assert.Equal("1m", defaults.GetProperty("retry_interval").GetString());
        Assert.Equal(10, defaults.GetProperty("max_attempts").GetInt32());

        await AddTargetAsync(
            "Settings Exponential",
            "Policy Settings",
            "http://127.0.0.1:9/",
            "--retry-policy exponential --retry-interval 5s --retry-max-interval 10m --max-attempts 4");
        var exponential = await ShowTargetAsync("Settings Exponential");
        Assert.Equal("exponential", exponential.GetProperty("retry_policy").GetString());
        Assert.Equal("5s", exponential.GetProperty("retry_interval").GetString());
        Assert.Equal("10m", exponential.GetProperty("retry_max_interval").GetString());
        Assert.Equal(4, exponential.GetProperty("max_attempts").GetInt32());

        var update = await gateway.CliAsync(
            "target", "update", "Settings Exponential", "--retry-policy", "schedule", "--retry-schedule", "5s,30s,2m,10m");
        Assert.True(update.ExitCode == 0, update.ToString());
        var schedule = await ShowTargetAsync("Settings Exponential");
        Assert.Equal("schedule", schedule.GetProperty("retry_policy").GetString());
        var steps = schedule.GetProperty("retry_schedule").EnumerateArray().Select(step => step.GetString());
        Assert.Equal(["5s", "30s", "2m", "10m"], steps);

        // A first wait longer than the longest is refused, and nothing changes.
        var tooLong = await gateway.CliAsync(
            "target", "update", "Settings Exponential", "--retry-policy", "exponential", "--retry-interval", "2h");
        Assert.NotEqual(0, tooLong.ExitCode);
        Assert.Contains("--retry-max-interval", tooLong.StandardError, StringComparison.Ordinal);
        Assert.Equal("schedule", (await ShowTargetAsync("Settings Exponential")).GetProperty("retry_policy").GetString());

        var noSchedule = await gateway.CliAsync(
            "target", "add", "--name", "Settings No Schedule", "--forward-name", "Policy Settings",
            "--url", "http://127.0.0.1:9/", "--retry-policy", "schedule");
        Assert.NotEqual(0, noSchedule.ExitCode);
        Assert.Contains("--retry-schedule", noSchedule.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Fails every attempt; the path says how, Retry-After included.</summary>
    private static Task RespondAsPathSays(ReceivedRequest request, HttpContext context)
    {
        var retryAfter = request.RawTarget switch
        {
            "/retry-after" => "3",
            "/retry-after-date" => (DateTimeOffset.UtcNow + TimeSpan.FromSeconds(4)).ToString("r", CultureInfo.InvariantCulture),
            "/retry-after-unreadable" => "soon",
            _ => null,
        };

        if (retryAfter is null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return context.Response.WriteAsync("MAINTENANCE");
    }

    private async Task<string> AddSourceAsync(string name)
    {
        var source = await gateway.CliAsync("source", "add", "--name", name);
        Assert.True(source.ExitCode == 0, source.ToString());

        return source.StandardOutput.Trim();
    }

    /// <summary>Adds a target; <paramref name="options"/> are more options of <c>target add</c>, separated by spaces.</summary>
    private async Task AddTargetAsync(string name, string source, string url, string options)
    {
        string[] arguments = ["target", "add", "--name", name, "--forward-name", source, "--url", url];
        var added = await gateway.CliAsync([.. arguments, .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        Assert.True(added.ExitCode == 0, added.ToString());
    }

    private async Task<JsonElement> ShowTargetAsync(string name)
    {
        var shown = await gateway.CliAsync("target", "show", name);
        Assert.True(shown.ExitCode == 0, shown.ToString());

        return JsonRecords.Parse(shown.StandardOutput).Single();
    }

    private async Task AssertNothingScheduledAsync(IEnumerable<string> deliveryIds)
    {
        const string stillOpen = """
            SELECT count(*)
            FROM deliveries
            WHERE id = ANY(@ids)
              AND (state <> 'failed' OR next_run_at IS NOT NULL)
            """;

        var ids = deliveryIds.ToList();
        await using (var connection = new NpgsqlConnection(gateway.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(stillOpen, connection);
            command.Parameters.AddWithValue("ids", ids.Select(id => Guid.ParseExact(id, "N")).ToArray());
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(gateway.RedisConnectionString);
        var database = redis.GetDatabase();
        foreach (var id in ids)
        {
            Assert.Null(await database.SortedSetScoreAsync(Keys.Retries, id));
        }
    }

    /// <summary>
    /// A target's policy as <c>target add</c> options, and the waits, least and most in seconds,
    /// it should make between attempts.
    /// </summary>
    private sealed record TimingPlan(string Name, string Path, string Options, (double Least, double Most)[] Waits);
}
