using System.Net;
using Microsoft.AspNetCore.Http;
using WebhookEnterprise.Tests.Infrastructure;
using Xunit.Abstractions;

namespace WebhookEnterprise.Tests;

/// <summary>
/// Redis or Postgres goes away under a steady load and comes back: every message the gateway
/// acknowledged still reaches its target, and none it could not store is acknowledged.
/// </summary>
public sealed class ReliabilityStoreOutageTests(GatewayWithoutWorkers gateway, ITestOutputHelper output)
    : IClassFixture<GatewayWithoutWorkers>
{
    private const int Messages = 60;

    // When the Postgres outage starts, in messages sent.
    private const int OutageStart = Messages / 4;

    private static readonly TimeSpan SendEvery = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task RedisRestartedEmpty_UnderLoad_EveryAcknowledgedMessageIsDelivered()
    {
        await using var target = await RecordingTarget.StartAsync();
        var ledger = new DeliveryLedger(await gateway.AddSourceAndTargetAsync("Redis Outage", target.Url()));

        // Two workers, so two sweepers race for what Redis lost. The shortest times the worker
        // accepts: a lost job is found again a little over half a minute after it was due.
        var workers = new List<ChildProcess>();
        foreach (var name in new[] { "redis-outage-a", "redis-outage-b" })
        {
            workers.Add(await gateway.StartWorkerAsync(new Dictionary<string, string?>
            {
                ["Worker__Name"] = name,
                ["Worker__MaxAttemptTime"] = "00:00:01",
                ["Worker__ClaimIdleTime"] = "00:00:31",
                ["Worker__SweepGrace"] = "00:00:31",
                ["Worker__SweepInterval"] = "00:00:01",
            }));
        }

        await WarmUpAsync(ledger, target);
        await SendUnderLoadAsync(
            ledger,
            (Messages / 3, gateway.Redis.StopAsync),
            (Messages * 2 / 3, gateway.Redis.StartAgainAsync));

        Assert.All(
            ledger.Answers,
            answer => Assert.True(answer.IsSuccessStatusCode, $"Answered {answer.StatusCode} while Postgres was up."));
        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received)),
            $"every acknowledged message to arrive after Redis came back empty:\n{workers[0].Output}",
            TimeSpan.FromSeconds(90));

        // Some jobs were lost with Redis's data and found again by a sweep, past the grace time.
        Assert.Contains(target.Received, request => ledger.Latency(request) > TimeSpan.FromSeconds(31));

        // Lost jobs are queued again once, leased against a second sweep: copies are rare.
        output.WriteLine(ledger.AssertBalanced(target.Received, atLeast: 1, mostCopiesEach: 2, mostDuplicates: Messages / 10));
        foreach (var worker in workers)
        {
            Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
        }
    }

    [Fact]
    public async Task PostgresStopped_IngressAnswers503WithRetryAfter_AndAcknowledgedMessagesAreDeliveredAfter()
    {
        await using var target = await RecordingTarget.StartAsync();

        // A slow target, so that attempts are in flight when Postgres goes: they reach the target
        // but cannot be recorded, and are made again once Postgres is back.
        target.Respond = static async (_, context) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            await context.Response.WriteAsync("OK");
        };
        var ledger = new DeliveryLedger(await gateway.AddSourceAndTargetAsync("Postgres Outage", target.Url()));
        var worker = await gateway.StartWorkerAsync(new Dictionary<string, string?> { ["Worker__Name"] = "postgres-outage" });

        await WarmUpAsync(ledger, target);
        await SendUnderLoadAsync(
            ledger,
            (OutageStart, gateway.Postgres.StopAsync),
            (Messages / 2, gateway.Postgres.StartAgainAsync));

        var refused = ledger.Answers.Where(answer => !answer.IsSuccessStatusCode).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, answer =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.True(answer.Headers.RetryAfter is not null, "A 503 came without Retry-After.");
        });
        Assert.True(ledger.Answers[^1].IsSuccessStatusCode, "Messages are still refused after Postgres came back.");

        await Eventually.TrueAsync(
            () => Task.FromResult(ledger.AllArrived(target.Received)),
            $"every acknowledged message to arrive after Postgres came back:\n{worker.Output}",
            TimeSpan.FromSeconds(60));

        // Copies come only from attempts that reached the target but could not be recorded as
        // Postgres went: at most the messages acknowledged before the outage, once each.
        var balance = ledger.AssertBalanced(target.Received, atLeast: 1, mostCopiesEach: 2, mostDuplicates: OutageStart);
        output.WriteLine($"refused {refused.Count}; {balance}");
        Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Delivers one message first, so that the load meets workers that are running already, not starting.</summary>
    private static async Task WarmUpAsync(DeliveryLedger ledger, RecordingTarget target)
    {
        using var http = new HttpClient();
        (await ledger.SendAsync(http)).EnsureSuccessStatusCode();
        await target.WaitForAsync(1);
    }

    /// <summary>
    /// Sends <see cref="Messages"/> messages, one every <see cref="SendEvery"/> without waiting
    /// for answers, and runs each disruption when its number of messages has been sent.
    /// </summary>
    private static async Task SendUnderLoadAsync(DeliveryLedger ledger, params (int AfterMessages, Func<Task> Disrupt)[] disruptions)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var sends = new List<Task>();
        for (var i = 0; i < Messages; i++)
        {
            foreach (var (afterMessages, disrupt) in disruptions)
            {
                if (i == afterMessages)
                {
                    await disrupt();
                }
            }

            sends.Add(ledger.SendAsync(http));
            await Task.Delay(SendEvery);
        }

        await Task.WhenAll(sends);
    }
}
