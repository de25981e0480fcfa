using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Reads the delivery stream through the worker group and runs up to
/// <see cref="WorkerOptions.Concurrency"/> attempts at once. It first finishes the entries it
/// read before a restart, then takes new ones, and now and then takes over entries that a
/// dead worker left unacknowledged. A job whose handling fails is taken up again by this worker
/// after a short wait; one that keeps failing in the gateway itself has its delivery failed
/// after <see cref="WorkerOptions.MaxJobDeliveries"/> deliveries. On stop it takes nothing more
/// and lets attempts in flight finish, up to <see cref="WorkerOptions.ShutdownGrace"/>.
/// </summary>
public sealed partial class DeliveryWorker(
    DeliveryQueue queue,
    DeliveryProcessor processor,
    IOptions<WorkerOptions> options,
    ILogger<DeliveryWorker> logger) : BackgroundService
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ClaimEvery = TimeSpan.FromSeconds(5);

    // The wait before this worker takes up again a job whose handling failed, doubled for each
    // further failure. The longest stays well inside the claim margin, so that this worker takes
    // the job back before another may claim it as stale.
    private static readonly TimeSpan FirstRetryWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetryWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ReclaimMargin = TimeSpan.FromMilliseconds(100);

    private static readonly RedisValue ClaimFromStart = "0-0";

    private readonly WorkerOptions _options = options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.Concurrency, options.Value.Concurrency);
    private readonly HashSet<Task> _inFlight = [];
    private readonly Lock _inFlightLock = new();
    private readonly CancellationTokenSource _abortAttempts = new();
    private readonly SemaphoreSlim _wake = new(0);
    private CancellationToken _stopping;
    private bool _closed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        LogStarted(_options.Name, _options.Concurrency);
        await WhileRedisFailsAsync(async () =>
        {
            await queue.EnsureGroupAsync();
            await queue.SubscribeWakeAsync(() => Wake());
        }, stoppingToken);

        await DrainOwnPendingAsync(stoppingToken);

        var nextClaim = DateTimeOffset.UtcNow + ClaimEvery;
        var claimFrom = ClaimFromStart;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitForSlotAsync(stoppingToken);
                var free = _slots.CurrentCount + 1;
                IReadOnlyList<QueuedJob> jobs;
                if (DateTimeOffset.UtcNow >= nextClaim)
                {
                    nextClaim = DateTimeOffset.UtcNow + ClaimEvery;
                    var claimed = await queue.ClaimStaleAsync(_options.Name, _options.ClaimIdleTime, free, claimFrom);

                    // The search goes on where it stopped, so that stale entries deep in a long
                    // pending list are reached too; it starts over once it has seen the whole list.
                    claimFrom = claimed.NextStart;
                    jobs = claimed.Jobs;
                    if (jobs.Count > 0)
                    {
                        LogClaimed(jobs.Count);
                    }
                }
                else
                {
                    jobs = await queue.ReadNewAsync(_options.Name, free);
                }

                if (jobs.Count == 0)
                {
                    _slots.Release();
                    await WaitForWorkAsync(stoppingToken);

                    continue;
                }

                Dispatch(jobs[0], failures: 0);
                foreach (var job in jobs.Skip(1))
                {
                    await WaitForSlotAsync(stoppingToken);
                    Dispatch(job, failures: 0);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // Redis lost the stream or the group (a restart without data): make them again.
                LogGroupMissing();
                _slots.Release();
                claimFrom = ClaimFromStart;
                await WhileRedisFailsAsync(queue.EnsureGroupAsync, stoppingToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogReadFailed(e);
                _slots.Release();
                await DelayAsync(FailureBackoff, stoppingToken);
            }
        }

        await FinishInFlightAsync();
    }

    public override void Dispose()
    {
        _abortAttempts.Dispose();
        _slots.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    private async Task DrainOwnPendingAsync(CancellationToken stoppingToken)
    {
        RedisValue after = "0";
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<QueuedJob> pending = [];
            await WhileRedisFailsAsync(async () => pending = await queue.ReadOwnPendingAsync(_options.Name, after, _options.Concurrency), stoppingToken);
            if (pending.Count == 0)
            {
                return;
            }

            LogResuming(pending.Count);
            foreach (var job in pending)
            {
                try
                {
                    await WaitForSlotAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Dispatch(job, failures: 0);
            }

            after = pending[^1].EntryId;
        }
    }

    /// <summary>
    /// Runs a job in a slot the caller holds. Once the worker is stopping, the slot is given back
    /// and the entry stays pending.
    /// </summary>
    private void Dispatch(QueuedJob job, int failures)
    {
        lock (_inFlightLock)
        {
            if (_closed)
            {
                _slots.Release();

                return;
            }

            var task = RunAsync(job, failures);
            _inFlight.Add(task);
            _ = task.ContinueWith(
                finished =>
                {
                    lock (_inFlightLock)
                    {
                        _inFlight.Remove(finished);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task RunAsync(QueuedJob job, int failures)
    {
        await Task.Yield();
        try
        {
            await processor.ProcessAsync(job, _abortAttempts.Token);
        }
        catch (OperationCanceledException) when (_abortAttempts.IsCancellationRequested)
        {
            // Cut off at shutdown; the entry stays pending and is handled again.
        }
        catch (Exception e) when (IsOutage(e))
        {
            // Nothing is known to be wrong with the job, so this does not count towards giving up.
            LogJobInterrupted(e, job.EntryId.ToString());
            HandleAgainLater(job, failures + 1, countDelivery: false);
        }
        catch (Exception e) when (job.Deliveries < _options.MaxJobDeliveries)
        {
            LogJobFailed(e, job.EntryId.ToString(), job.Deliveries, _options.MaxJobDeliveries);
            HandleAgainLater(job, failures + 1, countDelivery: true);
        }
        catch (Exception e)
        {
            await GiveUpAsync(job, e, failures + 1);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task GiveUpAsync(QueuedJob job, Exception failure, int failures)
    {
        var reason = $"The gateway could not handle this delivery in {job.Deliveries} tries: "
            + $"{failure.Message.ReplaceLineEndings(" ")} ({failure.GetType().Name})";
        try
        {
            await processor.GiveUpAsync(job, reason, _abortAttempts.Token);
        }
        catch (Exception e)
        {
            // Postgres or Redis did not take the failure: the next try comes back here.
            LogJobInterrupted(e, job.EntryId.ToString());
            HandleAgainLater(job, failures, countDelivery: false);
        }
    }

    /// <summary>
    /// Takes the job up again after a wait that grows with <paramref name="failures"/>. Counting
    /// the delivery is what makes a job that keeps failing reach
    /// <see cref="WorkerOptions.MaxJobDeliveries"/>; an outage of Postgres or Redis does not count.
    /// </summary>
    private void HandleAgainLater(QueuedJob job, int failures, bool countDelivery) =>
        _ = HandleAgainAsync(job, failures, countDelivery);

    private async Task HandleAgainAsync(QueuedJob job, int failures, bool countDelivery)
    {
        var wait = RetryWait(failures);
        try
        {
            await Task.Delay(wait, _stopping);

            // Taken back only if no worker has had it for the whole wait, so never from a worker
            // that claimed it meanwhile. The runtime's timers may fire a few milliseconds early by
            // Redis's clock, hence the margin.
            if (!await queue.ReclaimAsync(_options.Name, job.EntryId, wait - ReclaimMargin, countDelivery))
            {
                return;
            }

            await WaitForSlotAsync(_stopping);
            Dispatch(job with { Deliveries = countDelivery ? job.Deliveries + 1 : job.Deliveries }, failures);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the entry stays pending, for this worker's next start or for a claim.
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis lost the stream and its pending entries; Postgres still says the delivery is
            // due, and the overdue sweep queues it again.
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogJobInterrupted(e, job.EntryId.ToString());
            HandleAgainLater(job, failures + 1, countDelivery);
        }
    }

    private static TimeSpan RetryWait(int failures)
    {
        var wait = FirstRetryWait * Math.Pow(2, Math.Min(failures - 1, 10));

        return wait < LongestRetryWait ? wait : LongestRetryWait;
    }

    /// <summary>Failures of Postgres or Redis rather than of the job: they pass when the store is back.</summary>
    private static bool IsOutage(Exception e) => DeliveryBatches.IsOutage(e);

    private async Task FinishInFlightAsync()
    {
        Task[] running;
        lock (_inFlightLock)
        {
            _closed = true;
            running = [.. _inFlight.Where(task => !task.IsCompleted)];
        }

        if (running.Length == 0)
        {
            return;
        }

        LogDraining(running.Length, _options.ShutdownGrace.TotalSeconds);
        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(_options.ShutdownGrace)) != all)
        {
            await _abortAttempts.CancelAsync();
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5)));
        }
    }

    private Task WaitForSlotAsync(CancellationToken stoppingToken) => _slots.WaitAsync(stoppingToken);

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _wake.WaitAsync(IdleWait, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the main loop ends.
        }
    }

    private async Task WhileRedisFailsAsync(Func<Task> action, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await action();

                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogReadFailed(e);
                await DelayAsync(FailureBackoff, stoppingToken);
            }
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the caller's loop ends.
        }
    }

    [LoggerMessage(EventId = 3101, EventName = "WorkerStarted", Level = LogLevel.Information,
        Message = "Worker {WorkerName} reading the delivery stream, {Concurrency} attempts at once")]
    private partial void LogStarted(string workerName, int concurrency);

    [LoggerMessage(EventId = 3102, EventName = "ResumingOwnPending", Level = LogLevel.Information,
        Message = "Resuming {Count} jobs this worker read before it stopped")]
    private partial void LogResuming(int count);

    [LoggerMessage(EventId = 3103, EventName = "ClaimedStaleJobs", Level = LogLevel.Warning,
        Message = "Took over {Count} jobs left unacknowledged by another worker")]
    private partial void LogClaimed(int count);

    [LoggerMessage(EventId = 3104, EventName = "StreamGroupMissing", Level = LogLevel.Warning,
        Message = "The delivery stream or its group is missing; creating them again")]
    private partial void LogGroupMissing();

    [LoggerMessage(EventId = 3105, EventName = "StreamReadFailed", Level = LogLevel.Warning,
        Message = "Reading the delivery stream failed; trying again")]
    private partial void LogReadFailed(Exception exception);

    [LoggerMessage(EventId = 3106, EventName = "JobFailed", Level = LogLevel.Error,
        Message = "Handling stream entry {EntryId} failed on delivery {Deliveries} of at most {MaxDeliveries}; trying again shortly")]
    private partial void LogJobFailed(Exception exception, string entryId, int deliveries, int maxDeliveries);

    [LoggerMessage(EventId = 3107, EventName = "DrainingAttempts", Level = LogLevel.Information,
        Message = "Stopping: waiting up to {GraceSeconds} seconds for {Count} attempts in flight")]
    private partial void LogDraining(int count, double graceSeconds);

    [LoggerMessage(EventId = 3108, EventName = "JobInterrupted", Level = LogLevel.Warning,
        Message = "Handling stream entry {EntryId} was interrupted by Postgres or Redis; trying again shortly")]
    private partial void LogJobInterrupted(Exception exception, string entryId);
}
