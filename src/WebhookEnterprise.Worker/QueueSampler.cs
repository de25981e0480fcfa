using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Reads the retry backlog and the stream's pending count for the gauges of
/// <see cref="GatewayTelemetry"/>. The sizes are the gateway's, not this worker's: every worker
/// reports the same numbers, so combine them across workers with the maximum, never the sum.
/// </summary>
public sealed partial class QueueSampler(
    DeliveryQueue queue,
    GatewayTelemetry telemetry,
    TimeProvider time,
    IOptions<QueueSamplerOptions> options,
    ILogger<QueueSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        try
        {
            do
            {
                await SampleAsync();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SampleAsync()
    {
        try
        {
            var (retryBacklog, streamPending) = await queue.MeasureAsync();
            telemetry.QueueSampled(retryBacklog, streamPending);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // No worker has made the stream's group yet, so nothing can be pending in it.
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogSampleFailed(e);
        }
    }

    [LoggerMessage(EventId = 3501, EventName = "QueueSampleFailed", Level = LogLevel.Warning,
        Message = "Reading the queue sizes from Redis failed; the gauges keep their last values")]
    private partial void LogSampleFailed(Exception exception);
}
