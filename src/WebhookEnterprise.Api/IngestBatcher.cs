using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Batching;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

/// <summary>
/// Commits the messages of concurrent requests together: one statement and one commit in
/// Postgres, then one pipelined write of their jobs to Redis. A request waits only for the
/// commit that holds its message, never for a timer (see <see cref="Batcher{TItem, TResult}"/>).
/// No message is answered before its commit returns, so durability is that of one message per
/// commit.
/// </summary>
public sealed partial class IngestBatcher : IHostedService
{
    private readonly MessageStore _store;
    private readonly DeliveryQueue _queue;
    private readonly ILogger<IngestBatcher> _logger;
    private readonly Batcher<MessageToStore, IReadOnlyList<Guid>> _batcher;

    public IngestBatcher(
        MessageStore store,
        DeliveryQueue queue,
        IOptions<ApiOptions> options,
        ILogger<IngestBatcher> logger)
    {
        _store = store;
        _queue = queue;
        _logger = logger;
        var limits = options.Value;
        _batcher = new Batcher<MessageToStore, IReadOnlyList<Guid>>(
            new BatcherSettings(limits.IngestWriters, limits.MaxIngestBatch, limits.MaxIngestBatchBytes),
            CommitAsync,
            static e => e is NpgsqlException { IsTransient: true } or TimeoutException,
            static item => item.Message.Body.Length);
    }

    /// <summary>
    /// Commits <paramref name="message"/> with one pending delivery per target and queues its
    /// jobs. The task ends with the delivery ids once the message is durable (a failure to queue
    /// is logged, and the overdue sweep queues the jobs later), or fails with what the commit
    /// failed with. Null when the api is stopping and takes no more messages.
    /// </summary>
    public Task<IReadOnlyList<Guid>>? StoreAsync(IncomingMessage message, IReadOnlyList<Guid> targetIds) =>
        _batcher.TryAdd(new MessageToStore(message, targetIds));

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Takes no more messages and waits for the commits of those taken. The server stops
    /// before this runs, once its requests have been answered, so normally nothing waits.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _batcher.CompleteAsync(cancellationToken);

    private async Task<IReadOnlyList<IReadOnlyList<Guid>>> CommitAsync(IReadOnlyList<MessageToStore> batch)
    {
        var deliveryIds = await _store.StoreAsync(batch, CancellationToken.None);
        try
        {
            var jobs = new MessageJobs[batch.Count];
            for (var i = 0; i < jobs.Length; i++)
            {
                jobs[i] = new MessageJobs(deliveryIds[i], batch[i].Message.TraceParent);
            }

            await _queue.EnqueueAsync(jobs);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The messages and their deliveries are committed and due now: the sweep of overdue
            // deliveries queues them once Redis answers again, so the senders still get their answer.
            LogQueueUnavailable(_logger, e, batch.Count, Ids.Format(batch[0].Message.Id));
        }

        return deliveryIds;
    }

    [LoggerMessage(EventId = 2004, EventName = "QueueUnavailable", Level = LogLevel.Warning,
        Message = "Stored {MessageCount} messages (the first {MessageId}) but could not queue their deliveries; the overdue sweep will")]
    private static partial void LogQueueUnavailable(ILogger logger, Exception exception, int messageCount, string messageId);
}
