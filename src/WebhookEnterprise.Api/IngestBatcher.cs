using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Api;

/// <summary>
/// Commits the messages of concurrent requests together: one statement and one commit in
/// Postgres, then one pipelined write of their jobs to Redis. A request waits only for the
/// commit that holds its message, never for a timer: when a writer is free a message goes at
/// once, alone, and messages that arrive while every writer is busy go together in the next
/// commit. No message is answered before its commit returns, so durability is that of one
/// message per commit.
/// </summary>
public sealed partial class IngestBatcher(
    MessageStore store,
    DeliveryQueue queue,
    IOptions<ApiOptions> options,
    ILogger<IngestBatcher> logger) : IHostedService
{
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();
    private Task[] _writers = [];

    /// <summary>
    /// Commits <paramref name="message"/> with one pending delivery per target and queues its
    /// jobs. The task ends with the delivery ids once the message is durable (a failure to queue
    /// is logged, and the overdue sweep queues the jobs later), or fails with what the commit
    /// failed with. Null when the api is stopping and takes no more messages.
    /// </summary>
    public Task<IReadOnlyList<Guid>>? StoreAsync(IncomingMessage message, IReadOnlyList<Guid> targetIds)
    {
        var pending = new Pending(new MessageToStore(message, targetIds), Activity.Current);

        return _pending.Writer.TryWrite(pending) ? pending.Stored.Task : null;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writers = Enumerable.Range(0, options.Value.IngestWriters)
            .Select(_ => Task.Run(WriteAsync, CancellationToken.None))
            .ToArray();

        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes no more messages and waits for the commits of those taken. The server stops
    /// before this runs, once its requests have been answered, so normally nothing waits.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_writers).WaitAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var limits = options.Value;
        var batch = new List<Pending>(limits.MaxIngestBatch);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            long bytes = 0;
            while (batch.Count < limits.MaxIngestBatch && bytes < limits.MaxIngestBatchBytes && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                bytes += pending.Item.Message.Body.Length;
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch);
                batch.Clear();
            }
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        // The statement runs in the first request's trace; the others link to that request.
        var first = batch[0].Request;
        Activity.Current = first;
        if (batch.Count > 1)
        {
            foreach (var pending in batch)
            {
                pending.Request?.SetTag(GatewayTelemetry.Tags.StoreBatchSize, batch.Count);
                if (first is not null && pending.Request is { } request && request != first)
                {
                    request.AddLink(new ActivityLink(first.Context));
                }
            }
        }

        IReadOnlyList<IReadOnlyList<Guid>> deliveryIds;
        try
        {
            deliveryIds = await store.StoreAsync(batch.ConvertAll(pending => pending.Item), CancellationToken.None);
        }
        catch (Exception e)
        {
            batch.ForEach(pending => pending.Stored.TrySetException(e));

            return;
        }

        try
        {
            var jobs = new MessageJobs[batch.Count];
            for (var i = 0; i < jobs.Length; i++)
            {
                jobs[i] = new MessageJobs(deliveryIds[i], batch[i].Item.Message.TraceParent);
            }

            await queue.EnqueueAsync(jobs);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The messages and their deliveries are committed and due now: the sweep of overdue
            // deliveries queues them once Redis answers again, so the senders still get their answer.
            LogQueueUnavailable(logger, e, batch.Count, Ids.Format(batch[0].Item.Message.Id));
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Stored.TrySetResult(deliveryIds[i]);
        }
    }

    private sealed record Pending(MessageToStore Item, Activity? Request)
    {
        public TaskCompletionSource<IReadOnlyList<Guid>> Stored { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 2004, EventName = "QueueUnavailable", Level = LogLevel.Warning,
        Message = "Stored {MessageCount} messages (the first {MessageId}) but could not queue their deliveries; the overdue sweep will")]
    private static partial void LogQueueUnavailable(ILogger logger, Exception exception, int messageCount, string messageId);
}
