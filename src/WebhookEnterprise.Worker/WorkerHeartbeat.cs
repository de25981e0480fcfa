using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;

namespace WebhookEnterprise.Worker;

/// <summary>Tells Redis this worker is alive, so that the api's health can say when none is.</summary>
public sealed partial class WorkerHeartbeat(
    DeliveryQueue queue,
    TimeProvider time,
    IOptions<WorkerOptions> options,
    ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await queue.HeartbeatAsync(options.Value.Name, time.GetUtcNow());
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogHeartbeatFailed(e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 3401, EventName = "HeartbeatFailed", Level = LogLevel.Warning,
        Message = "Could not record this worker's heartbeat in Redis")]
    private partial void LogHeartbeatFailed(Exception exception);
}
