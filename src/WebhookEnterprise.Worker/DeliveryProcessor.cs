using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Runs one job from the stream: the next attempt of one delivery, its outcome decided under
/// the target's retry policy, committed with its log record, then the retry scheduled. This is
/// the one place where an attempt's outcome becomes the delivery's state.
/// </summary>
public sealed partial class DeliveryProcessor(
    DeliveryRepository deliveries,
    DeliveryBatches batches,
    DeliveryQueue queue,
    TargetClient client,
    TimeProvider time,
    IOptions<WorkerOptions> options,
    GatewayTelemetry telemetry,
    ILogger<DeliveryProcessor> logger)
{
    /// <summary>How much sooner than due a job may run, for clocks that differ a little between machines.</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Handles <paramref name="job"/> and acknowledges it once its outcome is durable. An
    /// exception leaves the entry pending, so that it is handled again.
    /// </summary>
    public async Task ProcessAsync(QueuedJob job, CancellationToken cancellationToken)
    {
        if (job.DeliveryId == Guid.Empty)
        {
            // An entry without a readable delivery id cannot ever be handled.
            await batches.AckAsync(job.EntryId);

            return;
        }

        if (job.Deliveries > options.Value.MaxJobDeliveries)
        {
            // Handed out this often and never acknowledged: every worker that took it stopped
            // before finishing, which is what a job that crashes its worker looks like.
            var reason = $"The job was taken up {job.Deliveries - 1} times and never finished; "
                + "each worker handling it stopped first.";
            await GiveUpAsync(job, reason, cancellationToken);

            return;
        }

        var delivery = await batches.LoadAsync(job.DeliveryId);
        if (delivery is null || delivery.State is DeliveryState.Succeeded or DeliveryState.Failed)
        {
            // Finished already (a duplicate job) or gone: nothing is sent again.
            await batches.AckAsync(job.EntryId);

            return;
        }

        if (delivery.NextRunAt is { } due && due > time.GetUtcNow() + EarlyTolerance)
        {
            // A copy of a job that has run, or one taken over from a worker that died between
            // committing an attempt and scheduling the next: the next attempt is not due yet.
            // Scheduling it again is harmless when it is scheduled already, and dropping this copy
            // keeps the attempt to one run, on time.
            await queue.ScheduleRetryAsync(delivery.DeliveryId, due);
            await batches.AckAsync(job.EntryId);
            LogNotDueYet(Ids.Format(delivery.DeliveryId));

            return;
        }

        if (delivery.Target is null)
        {
            const string removed = "The target was removed.";
            LogFailedWithoutAttempt(Ids.Format(delivery.DeliveryId), removed);
            await FailWithoutAttemptAsync(job, AttemptErrorKind.TargetRemoved, removed, cancellationToken);

            return;
        }

        var policy = delivery.Target.RetryPolicy;
        if (delivery.Attempts >= policy.AttemptLimit)
        {
            // The target's policy was narrowed after this attempt was planned.
            var reason = $"The target's retry policy allows {policy.AttemptLimit} attempts, "
                + $"and {delivery.Attempts} were made.";
            LogFailedWithoutAttempt(Ids.Format(delivery.DeliveryId), reason);
            await FailWithoutAttemptAsync(job, AttemptErrorKind.AttemptsExhausted, reason, cancellationToken);

            return;
        }

        var attempt = delivery.Attempts + 1;
        using var attemptTelemetry = AttemptTelemetry.Start(telemetry, job, delivery, delivery.Target, attempt);
        var outcome = await client.SendAsync(delivery, delivery.Target, attempt, cancellationToken);
        var now = time.GetUtcNow();

        var (state, nextRunAt) = Decide(policy, attempt, outcome, now, Random.Shared);
        attemptTelemetry.Decided(outcome, state, nextRunAt, now);
        var record = new AttemptRecord(
            Ids.New(),
            delivery.DeliveryId,
            delivery.Message.Id,
            delivery.Message.SourceId,
            delivery.Target.Id,
            attempt,
            state,
            nextRunAt,
            now,
            Describe(delivery.Target, attempt, outcome, state, nextRunAt));

        var recorded = await batches.RecordAttemptAsync(record);
        if (recorded && nextRunAt is { } next)
        {
            try
            {
                await queue.ScheduleRetryAsync(delivery.DeliveryId, next);
            }
            catch (StackExchange.Redis.RedisException e)
            {
                // The retry's due time is committed in Postgres; the overdue sweep queues it.
                LogRetryNotScheduled(e, Ids.Format(delivery.DeliveryId));
            }
        }

        // A success is in the log records, the trace and the metrics already; the console keeps
        // to attempts that failed, unless asked for more.
        LogAttempt(
            state == DeliveryState.Succeeded ? LogLevel.Debug : LogLevel.Information,
            Ids.Format(delivery.DeliveryId),
            attempt,
            delivery.Target.Name,
            state,
            outcome.Answer?.StatusCode,
            outcome.Error?.Kind);

        // Acknowledged only now: the outcome and log record are committed (or were committed
        // by a duplicate of this attempt), so a crash before this line repeats the attempt
        // rather than losing it. At least once, never zero times.
        await batches.AckAsync(job.EntryId);
    }

    /// <summary>
    /// Fails the delivery of a job that the gateway itself cannot handle, with
    /// <paramref name="reason"/> in the log, and acknowledges the job.
    /// </summary>
    public async Task GiveUpAsync(QueuedJob job, string reason, CancellationToken cancellationToken)
    {
        LogGaveUp(Ids.Format(job.DeliveryId), job.Deliveries, reason);
        await FailWithoutAttemptAsync(job, AttemptErrorKind.Gateway, reason, cancellationToken);
    }

    /// <summary>The delivery's state after an attempt, and when the next one runs if any.</summary>
    public static (string State, DateTimeOffset? NextRunAt) Decide(
        RetryPolicy policy,
        int attempt,
        AttemptOutcome outcome,
        DateTimeOffset now,
        Random random)
    {
        if (outcome.Succeeded)
        {
            return (DeliveryState.Succeeded, null);
        }

        if (!outcome.Retryable)
        {
            return (DeliveryState.Failed, null);
        }

        var delay = policy.DelayAfter(attempt, outcome.RetryAfter, random);

        return delay is { } wait ? (DeliveryState.Retrying, now + wait) : (DeliveryState.Failed, null);
    }

    private async Task FailWithoutAttemptAsync(
        QueuedJob job,
        string kind,
        string reason,
        CancellationToken cancellationToken)
    {
        await deliveries.FailAsync(job.DeliveryId, kind, reason, time.GetUtcNow(), cancellationToken);

        // Acknowledged once the failure and its reason are committed; a crash before this line
        // only repeats this step, which finds the delivery finished.
        await batches.AckAsync(job.EntryId);
    }

    /// <summary>The details of a <c>target.response</c> record, as stored in the log.</summary>
    private static string Describe(Target target, int attempt, AttemptOutcome outcome, string state, DateTimeOffset? nextRunAt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("target_name", target.Name);
            writer.WriteNumber("attempt", attempt);
            writer.WriteStartObject("request");
            writer.WriteString("method", outcome.RequestMethod);
            writer.WriteString("url", outcome.RequestUrl);
            writer.WriteEndObject();

            var elapsedMs = Math.Round(outcome.Elapsed.TotalMilliseconds, 1);
            if (outcome.Answer is { } answer)
            {
                writer.WriteStartObject("response");
                writer.WriteNumber("status_code", answer.StatusCode);
                if (answer.Location is not null)
                {
                    writer.WriteString("location", answer.Location);
                }

                Payload.WriteHeaders(writer, "headers", answer.Headers);
                var truncated = answer.BodySize > answer.Body.Length;
                Payload.Write(writer, "body", answer.ContentType, answer.Body, allowJson: false, truncated);
                writer.WriteNumber("body_size", answer.BodySize);
                if (answer.BodyError is not null)
                {
                    writer.WriteString("body_error", answer.BodyError);
                }

                writer.WriteNumber("elapsed_ms", elapsedMs);
                writer.WriteEndObject();
            }

            if (outcome.Error is { } error)
            {
                writer.WriteStartObject("error");
                writer.WriteString("kind", error.Kind);
                writer.WriteString("message", error.Message);
                writer.WriteNumber("elapsed_ms", elapsedMs);
                writer.WriteEndObject();
            }

            writer.WriteString("status", state);
            if (nextRunAt is { } next)
            {
                writer.WriteString("next_run_at", LogTime.Format(next));
            }
            else
            {
                writer.WriteNull("next_run_at");
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [LoggerMessage(EventId = 3001, EventName = "AttemptFinished",
        Message = "Delivery {DeliveryId} attempt {Attempt} to {TargetName}: {State} (status {StatusCode}, error {ErrorKind})")]
    private partial void LogAttempt(
        LogLevel level,
        string deliveryId,
        int attempt,
        string targetName,
        string state,
        int? statusCode,
        string? errorKind);

    [LoggerMessage(EventId = 3002, EventName = "FailedWithoutAttempt", Level = LogLevel.Warning,
        Message = "Delivery {DeliveryId} failed without an attempt: {Reason}")]
    private partial void LogFailedWithoutAttempt(string deliveryId, string reason);

    [LoggerMessage(EventId = 3003, EventName = "RetryNotScheduled", Level = LogLevel.Warning,
        Message = "Delivery {DeliveryId} could not be scheduled in Redis; the overdue sweep will queue it")]
    private partial void LogRetryNotScheduled(Exception exception, string deliveryId);

    [LoggerMessage(EventId = 3004, EventName = "JobNotDueYet", Level = LogLevel.Debug,
        Message = "Delivery {DeliveryId} is not due yet; its job was put back in the schedule")]
    private partial void LogNotDueYet(string deliveryId);

    [LoggerMessage(EventId = 3005, EventName = "JobGivenUp", Level = LogLevel.Error,
        Message = "Delivery {DeliveryId} failed: its job could not be handled after {Deliveries} deliveries: {Reason}")]
    private partial void LogGaveUp(string deliveryId, int deliveries, string reason);
}
