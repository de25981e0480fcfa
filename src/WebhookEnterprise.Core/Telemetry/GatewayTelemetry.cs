using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace WebhookEnterprise.Core.Telemetry;

/// <summary>
/// The gateway's own spans and instruments. Names are stable: dashboards and alerts depend on
/// them. Spans carry ids, names, attempts and outcomes, never a secret or a body.
/// </summary>
public sealed partial class GatewayTelemetry : IDisposable
{
    /// <summary>The activity source and meter name; ServiceDefaults subscribes to it.</summary>
    public const string Name = "WebhookEnterprise";

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>The tag that splits the counters and histograms by outcome.</summary>
    private const string MetricOutcome = "outcome";

    private readonly Meter _meter;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _deliveryLatency;
    private QueueSample? _queue;

    public GatewayTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _messagesReceived = _meter.CreateCounter<long>(
            "webhook.messages.received", "{message}", "Requests from sources, by source and outcome.");
        _attempts = _meter.CreateCounter<long>(
            "webhook.delivery.attempts", "{attempt}", "Attempts to deliver to targets, by target and outcome.");
        _attemptDuration = _meter.CreateHistogram<double>(
            "webhook.delivery.attempt.duration", "s", "How long one attempt took, from request to the end of the answer.");
        _deliveryLatency = _meter.CreateHistogram<double>(
            "webhook.delivery.latency", "s", "From the message's arrival to its successful delivery to a target.");
        _meter.CreateObservableGauge(
            "webhook.retry.backlog", () => ObserveQueue(sample => sample.RetryBacklog), "{delivery}", "Deliveries waiting for a retry.");
        _meter.CreateObservableGauge(
            "webhook.stream.pending", () => ObserveQueue(sample => sample.StreamPending), "{entry}", "Jobs read from the delivery stream and not yet acknowledged.");
    }

    /// <summary>Outcomes of a request at ingress, as the <c>outcome</c> tag says them.</summary>
    public static class IngressOutcome
    {
        public const string Accepted = "accepted";
        public const string Unauthorized = "unauthorized";
        public const string UnknownSource = "unknown_source";
        public const string TooLarge = "too_large";
        public const string BodyUnread = "body_unread";
        public const string Unavailable = "unavailable";
    }

    /// <summary>
    /// Counts one request at ingress and tags the request's span alike. Pass
    /// <paramref name="sourceId"/> only for a source known to exist: requests to made-up ids
    /// must not grow the number of series.
    /// </summary>
    public void MessageReceived(long? sourceId, string outcome, Guid? messageId = null)
    {
        var tags = new TagList { { MetricOutcome, outcome } };
        if (sourceId is { } id)
        {
            tags.Add(Tags.SourceId, id);
        }

        _messagesReceived.Add(1, tags);

        if (Activity.Current is { IsAllDataRequested: true } request)
        {
            request.SetTag(Tags.SourceId, sourceId);
            request.SetTag(Tags.IngressOutcome, outcome);
            request.SetTag(Tags.MessageId, messageId is { } message ? Ids.Format(message) : null);
        }
    }

    public void AttemptFinished(string targetName, string outcome, TimeSpan duration)
    {
        var tags = new TagList { { Tags.TargetName, targetName }, { MetricOutcome, outcome } };
        _attempts.Add(1, tags);
        _attemptDuration.Record(duration.TotalSeconds, tags);
    }

    public void Delivered(string targetName, TimeSpan sinceReceived) =>
        _deliveryLatency.Record(sinceReceived.TotalSeconds, new KeyValuePair<string, object?>(Tags.TargetName, targetName));

    /// <summary>
    /// Latest sampled queue sizes, reported by the gauges at each collection. Until the first
    /// sample the gauges report nothing, so that a process that never samples (the api) does not
    /// claim empty queues.
    /// </summary>
    public void QueueSampled(long retryBacklog, long streamPending) =>
        Volatile.Write(ref _queue, new QueueSample(retryBacklog, streamPending));

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveQueue(Func<QueueSample, long> size) =>
        Volatile.Read(ref _queue) is { } sample ? [new Measurement<long>(size(sample))] : [];

    private sealed record QueueSample(long RetryBacklog, long StreamPending);
}
