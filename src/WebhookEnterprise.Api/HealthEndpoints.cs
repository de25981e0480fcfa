using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using WebhookEnterprise.Core.Queue;

namespace WebhookEnterprise.Api;

/// <summary>
/// <c>GET /health</c>: <c>{"status": "running", "issues": []}</c> when all is well, each problem
/// as one sentence in <c>issues</c> otherwise. The status is 503 when a store cannot be
/// reached, since the api then cannot accept messages; missing workers or a retry backlog
/// leave it serving, so they degrade the status without failing it.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>A worker not seen for this long is taken for gone.</summary>
    public static readonly TimeSpan WorkerSilenceLimit = TimeSpan.FromSeconds(30);

    private const long RetryBacklogLimit = 10_000;

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", GetHealthAsync).WithName("Health");

        return app;
    }

    private static async Task GetHealthAsync(
        HttpContext context,
        NpgsqlDataSource dataSource,
        DeliveryQueue queue)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(ProbeTimeout);

        var issues = new List<string>();
        var postgres = ProbePostgresAsync(dataSource, timeout.Token);
        var redis = ProbeRedisAsync(queue, DateTimeOffset.UtcNow, timeout.Token);

        var storesDown = false;
        if (await postgres is { } postgresIssue)
        {
            issues.Add(postgresIssue);
            storesDown = true;
        }

        var (redisIssue, otherIssues) = await redis;
        if (redisIssue is not null)
        {
            issues.Add(redisIssue);
            storesDown = true;
        }

        issues.AddRange(otherIssues);

        context.Response.StatusCode = storesDown ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Format(issues.Count == 0 ? "running" : "degraded", issues), context.RequestAborted);
    }

    private static async Task<string?> ProbePostgresAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);

            return null;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return "postgres cannot be reached: " + OneLine(e.Message);
        }
    }

    private static async Task<(string? Unreachable, List<string> Others)> ProbeRedisAsync(
        DeliveryQueue queue,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var others = new List<string>();
        try
        {
            await queue.PingAsync().WaitAsync(cancellationToken);
            var workers = await queue.CountWorkersSeenAsync(now - WorkerSilenceLimit).WaitAsync(cancellationToken);
            if (workers == 0)
            {
                others.Add($"no worker has been seen in the last {WorkerSilenceLimit.TotalSeconds:0} seconds");
            }

            var backlog = await queue.CountDueRetriesAsync(now - TimeSpan.FromMinutes(1)).WaitAsync(cancellationToken);
            if (backlog > RetryBacklogLimit)
            {
                others.Add($"{backlog} retries are more than a minute overdue");
            }

            return (null, others);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or OperationCanceledException or TimeoutException)
        {
            return ("redis cannot be reached: " + OneLine(e.Message), others);
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>Written by hand to keep the spacing the getting-started guide shows.</summary>
    private static string Format(string status, List<string> issues)
    {
        var text = new StringBuilder("{\"status\": ").Append(JsonSerializer.Serialize(status)).Append(", \"issues\": [");
        for (var i = 0; i < issues.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(JsonSerializer.Serialize(issues[i]));
        }

        return text.Append("]}").ToString();
    }
}
