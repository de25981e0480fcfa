using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Moves retries whose time has come from the sorted set to the delivery stream. Every worker
/// runs one; the move is a single Redis script, so two promoters never move an entry twice.
/// </summary>
public sealed partial class RetryPromoter(
    DeliveryQueue queue,
    TimeProvider time,
    IOptions<WorkerOptions> options,
    ILogger<RetryPromoter> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PromoteInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    int moved;
                    do
                    {
                        moved = await queue.PromoteDueAsync(time.GetUtcNow(), BatchSize);
                    }
                    while (moved == BatchSize && !stoppingToken.IsCancellationRequested);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    LogPromoteFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 3201, EventName = "PromoteFailed", Level = LogLevel.Warning,
        Message = "Moving due retries to the delivery stream failed; trying again")]
    private partial void LogPromoteFailed(Exception exception);
}
