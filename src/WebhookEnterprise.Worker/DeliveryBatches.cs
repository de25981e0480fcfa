using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Batching;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Worker;

/// <summary>
/// The three steps of an attempt that talk to Postgres and Redis, each gathered across the
/// attempts running at once: loading deliveries in one query, committing outcomes in one
/// statement and one commit, acknowledging jobs in one round trip. Each caller still waits for
/// its own step to be done, so every guarantee of a single step holds.
/// </summary>
public sealed class DeliveryBatches
{
    private const int MaxBatch = 256;

    private readonly Batcher<Guid, DeliveryJob?> _loads;
    private readonly Batcher<AttemptRecord, bool> _records;
    private readonly Batcher<RedisValue, bool> _acks;

    public DeliveryBatches(DeliveryRepository deliveries, DeliveryQueue queue, IOptions<WorkerOptions> options)
    {
        var settings = new BatcherSettings(options.Value.StoreWriters, MaxBatch);
        _loads = new Batcher<Guid, DeliveryJob?>(
            settings,
            async ids =>
            {
                var found = await deliveries.LoadAsync(ids, CancellationToken.None);

                return [.. ids.Select(id => found.GetValueOrDefault(id))];
            },
            IsOutage);
        _records = new Batcher<AttemptRecord, bool>(
            settings,
            records => deliveries.RecordAttemptsAsync(records, CancellationToken.None),
            IsOutage);
        _acks = new Batcher<RedisValue, bool>(
            settings,
            async entryIds =>
            {
                await queue.AckAsync([.. entryIds]);

                return [.. entryIds.Select(_ => true)];
            },
            IsOutage);
    }

    /// <summary>The delivery with its message and target, or null when there is none.</summary>
    public Task<DeliveryJob?> LoadAsync(Guid deliveryId) => Add(_loads, deliveryId);

    /// <summary>
    /// Commits an attempt's outcome with its log record. Answers false when the delivery's count
    /// had moved on (a duplicate of an attempt recorded already), and nothing was written.
    /// </summary>
    public Task<bool> RecordAttemptAsync(AttemptRecord record) => Add(_records, record);

    /// <summary>Acknowledges and removes a handled entry; call only once its outcome is committed.</summary>
    public Task AckAsync(RedisValue entryId) => Add(_acks, entryId);

    /// <summary>Failures of Postgres or Redis rather than of one item: they fail a whole batch at once.</summary>
    public static bool IsOutage(Exception e) =>
        e is RedisException or TimeoutException or OperationCanceledException or NpgsqlException { IsTransient: true };

    // The batchers are never completed: a stopping worker still records the attempts it lets
    // finish, and the process ends after them.
    private static Task<TResult> Add<TItem, TResult>(Batcher<TItem, TResult> batcher, TItem item) =>
        batcher.TryAdd(item) ?? throw new InvalidOperationException("The worker's batches take no more items.");
}
