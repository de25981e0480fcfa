using System.Diagnostics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Core.Queue;

/// <summary>
/// A job read from the delivery stream: the entry to acknowledge, the delivery it names, and how
/// many times the group has handed this entry to a worker, this time included.
/// </summary>
public sealed record QueuedJob(RedisValue EntryId, Guid DeliveryId, string? TraceParent, int Deliveries);

/// <summary>Jobs taken over from other workers, and where the next search for stale entries starts.</summary>
public sealed record ClaimedJobs(IReadOnlyList<QueuedJob> Jobs, RedisValue NextStart);

/// <summary>
/// The Redis side of delivery: the stream of jobs read by the worker group, and the sorted set
/// of retries waiting for their time.
/// </summary>
public sealed class DeliveryQueue
{
    // Moves due retries to the stream in one step, so that two workers promoting at once can
    // never both move the same entry: the script runs alone, and ZREM happens with the XADD.
    private const string PromoteScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, id in ipairs(due) do
            redis.call('XADD', KEYS[2], '*', ARGV[3], id)
            redis.call('ZREM', KEYS[1], id)
        end
        if #due > 0 then
            redis.call('PUBLISH', KEYS[3], #due)
        end
        return #due
        """;

    private readonly IConnectionMultiplexer _redis;

    public DeliveryQueue(IConnectionMultiplexer redis, IOptions<QueueOptions> options)
    {
        _redis = redis;
        Keys = new RedisKeys(options.Value.KeyPrefix);
    }

    public RedisKeys Keys { get; }

    private IDatabase Database => _redis.GetDatabase();

    /// <summary>Puts one job per delivery on the stream in one pipelined round trip, then wakes idle workers.</summary>
    public Task EnqueueAsync(IReadOnlyList<Guid> deliveryIds, string? traceParent) =>
        EnqueueAsync([new MessageJobs(deliveryIds, traceParent)]);

    /// <summary>
    /// Puts the jobs of several messages on the stream in one pipelined round trip, each with
    /// its own enqueue span and trace context, then wakes idle workers once.
    /// </summary>
    public async Task EnqueueAsync(IReadOnlyList<MessageJobs> messages)
    {
        var jobCount = messages.Sum(message => message.DeliveryIds.Count);
        if (jobCount == 0)
        {
            return;
        }

        var activities = new List<Activity>(messages.Count);
        var batch = Database.CreateBatch();
        var writes = new List<Task>(jobCount + 1);
        foreach (var message in messages)
        {
            var activity = GatewayTelemetry.StartEnqueue(message.TraceParent, message.DeliveryIds.Count);
            if (activity is not null)
            {
                activities.Add(activity);
            }

            var context = activity?.Id ?? message.TraceParent;
            foreach (var deliveryId in message.DeliveryIds)
            {
                NameValueEntry[] fields = context is null
                    ? [new(RedisKeys.DeliveryField, Ids.Format(deliveryId))]
                    : [new(RedisKeys.DeliveryField, Ids.Format(deliveryId)), new(RedisKeys.TraceParentField, context)];
                writes.Add(batch.StreamAddAsync(Keys.DeliveryStream, fields));
            }
        }

        writes.Add(batch.PublishAsync(RedisChannel.Literal(Keys.WakeChannel), jobCount));
        batch.Execute();
        try
        {
            await Task.WhenAll(writes);
        }
        catch (Exception e)
        {
            activities.ForEach(activity => GatewayTelemetry.Failed(activity, e));
            throw;
        }
        finally
        {
            activities.ForEach(activity => activity.Dispose());
        }
    }

    /// <summary>Creates the stream and the worker group when either is missing.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(Keys.DeliveryStream, RedisKeys.WorkerGroup, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists already: another worker made it, or this one before a restart.
        }
    }

    /// <summary>Reads up to <paramref name="count"/> new jobs for <paramref name="consumer"/>.</summary>
    public async Task<IReadOnlyList<QueuedJob>> ReadNewAsync(string consumer, int count)
    {
        var entries = await Database.StreamReadGroupAsync(
            Keys.DeliveryStream,
            RedisKeys.WorkerGroup,
            consumer,
            StreamPosition.NewMessages,
            count);

        // An entry read as new has been handed out this once.
        return ToJobs(entries, deliveries: 1);
    }

    /// <summary>
    /// Reads entries that <paramref name="consumer"/> read before and never acknowledged (it
    /// stopped or crashed), those after entry <paramref name="after"/>; start from "0".
    /// </summary>
    public async Task<IReadOnlyList<QueuedJob>> ReadOwnPendingAsync(string consumer, RedisValue after, int count)
    {
        var entries = await Database.StreamReadGroupAsync(
            Keys.DeliveryStream,
            RedisKeys.WorkerGroup,
            consumer,
            after,
            count);

        return await WithDeliveryCountsAsync(consumer, ToJobs(entries, deliveries: 1));
    }

    /// <summary>
    /// Takes over up to <paramref name="count"/> entries that another consumer read and has not
    /// acknowledged for <paramref name="minIdle"/>, searching the pending entries from
    /// <paramref name="start"/> on; the answer says where the next search goes on.
    /// </summary>
    public async Task<ClaimedJobs> ClaimStaleAsync(string consumer, TimeSpan minIdle, int count, RedisValue start)
    {
        var result = await Database.StreamAutoClaimAsync(
            Keys.DeliveryStream,
            RedisKeys.WorkerGroup,
            consumer,
            (long)minIdle.TotalMilliseconds,
            start,
            count);

        var jobs = await WithDeliveryCountsAsync(consumer, ToJobs(result.ClaimedEntries, deliveries: 1));

        return new ClaimedJobs(jobs, result.NextStartId);
    }

    /// <summary>
    /// Takes entry <paramref name="entryId"/> back for <paramref name="consumer"/> to handle it
    /// again, provided no worker has had it for <paramref name="minIdle"/>. When
    /// <paramref name="countDelivery"/> is false its delivery count stays as it is. Answers false
    /// when the entry is gone or another worker holds it now.
    /// </summary>
    public async Task<bool> ReclaimAsync(string consumer, RedisValue entryId, TimeSpan minIdle, bool countDelivery)
    {
        var stream = Keys.DeliveryStream;
        var idleMs = (long)minIdle.TotalMilliseconds;
        if (countDelivery)
        {
            var entries = await Database.StreamClaimAsync(stream, RedisKeys.WorkerGroup, consumer, idleMs, [entryId]);

            return entries.Any(entry => !entry.IsNull);
        }

        var ids = await Database.StreamClaimIdsOnlyAsync(stream, RedisKeys.WorkerGroup, consumer, idleMs, [entryId]);

        return ids.Length > 0;
    }

    /// <summary>How many times the group has handed each entry to a worker; one pipelined round trip.</summary>
    private async Task<IReadOnlyList<QueuedJob>> WithDeliveryCountsAsync(string consumer, List<QueuedJob> jobs)
    {
        if (jobs.Count == 0)
        {
            return jobs;
        }

        var batch = Database.CreateBatch();
        var lookups = jobs
            .Select(job => batch.StreamPendingMessagesAsync(
                Keys.DeliveryStream,
                RedisKeys.WorkerGroup,
                1,
                consumer,
                job.EntryId,
                job.EntryId))
            .ToList();
        batch.Execute();

        var counted = new List<QueuedJob>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var pending = await lookups[i];
            counted.Add(pending.Length == 1 ? jobs[i] with { Deliveries = pending[0].DeliveryCount } : jobs[i]);
        }

        return counted;
    }

    /// <summary>Acknowledges and removes handled entries; call only once their outcomes are committed.</summary>
    public async Task AckAsync(RedisValue[] entryIds)
    {
        var batch = Database.CreateBatch();
        var ack = batch.StreamAcknowledgeAsync(Keys.DeliveryStream, RedisKeys.WorkerGroup, entryIds);
        var delete = batch.StreamDeleteAsync(Keys.DeliveryStream, entryIds);
        batch.Execute();
        await Task.WhenAll(ack, delete);
    }

    /// <summary>Schedules a delivery's next attempt at <paramref name="dueAt"/>.</summary>
    public Task ScheduleRetryAsync(Guid deliveryId, DateTimeOffset dueAt) =>
        Database.SortedSetAddAsync(Keys.Retries, Ids.Format(deliveryId), dueAt.ToUnixTimeMilliseconds());

    /// <summary>Moves up to <paramref name="limit"/> retries that are due by <paramref name="now"/> to the stream.</summary>
    public async Task<int> PromoteDueAsync(DateTimeOffset now, int limit)
    {
        var moved = await Database.ScriptEvaluateAsync(
            PromoteScript,
            [Keys.Retries, Keys.DeliveryStream, Keys.WakeChannel],
            [now.ToUnixTimeMilliseconds(), limit, RedisKeys.DeliveryField]);

        return (int)moved;
    }

    /// <summary>Records that <paramref name="worker"/> is alive.</summary>
    public Task HeartbeatAsync(string worker, DateTimeOffset now) =>
        Database.SortedSetAddAsync(Keys.Workers, worker, now.ToUnixTimeMilliseconds());

    /// <summary>How many workers were seen since <paramref name="since"/>.</summary>
    public Task<long> CountWorkersSeenAsync(DateTimeOffset since) =>
        Database.SortedSetLengthAsync(Keys.Workers, since.ToUnixTimeMilliseconds(), double.PositiveInfinity);

    /// <summary>
    /// How many retries wait in the sorted set, and how many jobs the worker group has read and
    /// not yet acknowledged (the summary form of XPENDING), in one round trip.
    /// </summary>
    public async Task<(long RetryBacklog, long StreamPending)> MeasureAsync()
    {
        var batch = Database.CreateBatch();
        var retries = batch.SortedSetLengthAsync(Keys.Retries);
        var pending = batch.StreamPendingAsync(Keys.DeliveryStream, RedisKeys.WorkerGroup);
        batch.Execute();
        await Task.WhenAll(retries, pending);

        return (await retries, (await pending).PendingMessageCount);
    }

    /// <summary>How many retries are already due but not yet moved to the stream.</summary>
    public Task<long> CountDueRetriesAsync(DateTimeOffset now) =>
        Database.SortedSetLengthAsync(Keys.Retries, double.NegativeInfinity, now.ToUnixTimeMilliseconds());

    public Task SubscribeWakeAsync(Action onWake) =>
        _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Keys.WakeChannel), (_, _) => onWake());

    public async Task<bool> PingAsync()
    {
        await Database.PingAsync();

        return true;
    }

    private static List<QueuedJob> ToJobs(StreamEntry[] entries, int deliveries)
    {
        var jobs = new List<QueuedJob>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry.IsNull)
            {
                continue;
            }

            var delivery = entry[RedisKeys.DeliveryField];
            var traceParent = entry[RedisKeys.TraceParentField];
            _ = Ids.TryParse(delivery, out var deliveryId);
            jobs.Add(new QueuedJob(entry.Id, deliveryId, traceParent.IsNull ? null : (string?)traceParent, deliveries));
        }

        return jobs;
    }
}
