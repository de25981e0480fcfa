using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Postgres is the record of what is due; Redis only holds work in progress. This sweep finds
/// deliveries that are long overdue, so Redis no longer holds them (a queue write that failed
/// after the commit, or a Redis that lost its data), and queues them again. Taking a delivery
/// leases it in the same statement, so sweepers never take the same one, and a delivery queued
/// again is not queued once more while its job waits in the stream.
/// </summary>
public sealed partial class OverdueSweeper(
    DeliveryRepository deliveries,
    DeliveryQueue queue,
    TimeProvider time,
    IOptions<WorkerOptions> options,
    ILogger<OverdueSweeper> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    IReadOnlyList<Guid> taken;
                    do
                    {
                        taken = await deliveries.TakeOverdueAsync(settings.SweepGrace, settings.SweepGrace, BatchSize, stoppingToken);
                        if (taken.Count > 0)
                        {
                            await queue.EnqueueAsync(taken, traceParent: null);
                            LogRequeued(taken.Count);
                        }
                    }
                    while (taken.Count == BatchSize && !stoppingToken.IsCancellationRequested);
                }
                catch (Exception e) when (e is NpgsqlException or RedisException or TimeoutException)
                {
                    LogSweepFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 3301, EventName = "OverdueRequeued", Level = LogLevel.Warning,
        Message = "Queued {Count} overdue deliveries again that Redis no longer held")]
    private partial void LogRequeued(int count);

    [LoggerMessage(EventId = 3302, EventName = "SweepFailed", Level = LogLevel.Warning,
        Message = "Looking for overdue deliveries failed; trying again")]
    private partial void LogSweepFailed(Exception exception);
}
