using System.Diagnostics;
using System.Globalization;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Telemetry;
using Tags = WebhookEnterprise.Core.Telemetry.GatewayTelemetry.Tags;

namespace WebhookEnterprise.Worker;

/// <summary>
/// The span and measurements of one attempt. Start it once the delivery is loaded, since a
/// retry finds its trace only in the stored message; dispose of it once the job is acknowledged.
/// </summary>
public sealed class AttemptTelemetry : IDisposable
{
    private readonly GatewayTelemetry _telemetry;
    private readonly Activity? _activity;
    private readonly Target _target;
    private readonly DateTimeOffset _receivedAt;

    private AttemptTelemetry(GatewayTelemetry telemetry, Activity? activity, Target target, DateTimeOffset receivedAt)
    {
        _telemetry = telemetry;
        _activity = activity;
        _target = target;
        _receivedAt = receivedAt;
    }

    /// <summary>
    /// Starts the <c>webhook.deliver</c> span of attempt <paramref name="attempt"/>, tagged with
    /// ids and names only: never the target's URL, which may hold a password, nor a body.
    /// </summary>
    public static AttemptTelemetry Start(GatewayTelemetry telemetry, QueuedJob job, DeliveryJob delivery, Target target, int attempt)
    {
        var activity = GatewayTelemetry.StartDeliver(job.TraceParent, delivery.Message.TraceParent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(Tags.SourceId, delivery.Message.SourceId);
            activity.SetTag(Tags.MessageId, Ids.Format(delivery.Message.Id));
            activity.SetTag(Tags.DeliveryId, Ids.Format(delivery.DeliveryId));
            activity.SetTag(Tags.TargetId, Ids.Format(target.Id));
            activity.SetTag(Tags.TargetName, target.Name);
            activity.SetTag(Tags.Attempt, attempt);
        }

        return new AttemptTelemetry(telemetry, activity, target, delivery.Message.ReceivedAt);
    }

    /// <summary>Records what the attempt came to: <paramref name="state"/> is the delivery's state after it.</summary>
    public void Decided(AttemptOutcome outcome, string state, DateTimeOffset? nextRunAt, DateTimeOffset now)
    {
        _telemetry.AttemptFinished(_target.Name, state, outcome.Elapsed);
        if (outcome.Succeeded)
        {
            _telemetry.Delivered(_target.Name, now - _receivedAt);
        }

        if (_activity is not { IsAllDataRequested: true })
        {
            return;
        }

        _activity.SetTag(Tags.Outcome, state);
        _activity.SetTag(Tags.HttpStatusCode, outcome.Answer?.StatusCode);
        _activity.SetTag(Tags.NextRunAt, nextRunAt is { } next ? LogTime.Format(next) : null);
        if (!outcome.Succeeded)
        {
            var errorType = outcome.Error?.Kind ?? outcome.Answer?.StatusCode.ToString(CultureInfo.InvariantCulture);
            _activity.SetTag(Tags.ErrorType, errorType);
            _activity.SetStatus(ActivityStatusCode.Error, errorType);
        }
    }

    public void Dispose() => _activity?.Dispose();
}
