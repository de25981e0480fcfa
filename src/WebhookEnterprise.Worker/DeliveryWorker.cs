using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Reads the delivery stream through the worker group and runs up to
/// <see cref="WorkerOptions.Concurrency"/> attempts at once. It first finishes the entries it
/// read before a restart, then takes new ones, and now and then takes over entries that a
/// dead worker left unacknowledged. On stop it takes nothing more and lets attempts in flight
/// finish, up to <see cref="WorkerOptions.ShutdownGrace"/>.
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

    private readonly WorkerOptions _options = options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.Concurrency, options.Value.Concurrency);
    private readonly HashSet<Task> _inFlight = [];
    private readonly Lock _inFlightLock = new();
    private readonly CancellationTokenSource _abortAttempts = new();
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_options.Name, _options.Concurrency);
        await WhileRedisFailsAsync(async () =>
        {
            await queue.EnsureGroupAsync();
            await queue.SubscribeWakeAsync(() => Wake());
        }, stoppingToken);

        await DrainOwnPendingAsync(stoppingToken);

        var nextClaim = DateTimeOffset.UtcNow + ClaimEvery;
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
                    jobs = await queue.ClaimStaleAsync(_options.Name, _options.ClaimIdleTime, free);
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

                Dispatch(jobs[0]);
                foreach (var job in jobs.Skip(1))
                {
                    await WaitForSlotAsync(stoppingToken);
                    Dispatch(job);
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
                await WaitForSlotAsync(stoppingToken);
                Dispatch(job);
            }

            after = pending[^1].EntryId;
        }
    }

    private void Dispatch(QueuedJob job)
    {
        var task = RunAsync(job);
        lock (_inFlightLock)
        {
            _inFlight.Add(task);
        }

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

    private async Task RunAsync(QueuedJob job)
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
        catch (Exception e)
        {
            // Left unacknowledged: the entry is taken over again after the claim idle time.
            LogJobFailed(e, job.EntryId.ToString());
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task FinishInFlightAsync()
    {
        Task[] running;
        lock (_inFlightLock)
        {
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
        Message = "Handling stream entry {EntryId} failed; it stays pending and is taken over later")]
    private partial void LogJobFailed(Exception exception, string entryId);

    [LoggerMessage(EventId = 3107, EventName = "DrainingAttempts", Level = LogLevel.Information,
        Message = "Stopping: waiting up to {GraceSeconds} seconds for {Count} attempts in flight")]
    private partial void LogDraining(int count, double graceSeconds);
}
