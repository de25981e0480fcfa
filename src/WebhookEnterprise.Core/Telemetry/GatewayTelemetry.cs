using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace WebhookEnterprise.Core.Telemetry;

/// <summary>
/// The gateway's own spans and instruments. Names are stable: dashboards and alerts depend on
/// them. Spans carry ids, names, attempts and outcomes, never a secret or a body.
/// </summary>
public sealed class GatewayTelemetry : IDisposable
{
    /// <summary>The activity source and meter name; ServiceDefaults subscribes to it.</summary>
    public const string Name = "WebhookEnterprise";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _deliveryLatency;
    private long _retryBacklog;
    private long _streamPending;

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
            "webhook.retry.backlog", () => Volatile.Read(ref _retryBacklog), "{delivery}", "Deliveries waiting for a retry.");
        _meter.CreateObservableGauge(
            "webhook.stream.pending", () => Volatile.Read(ref _streamPending), "{entry}", "Jobs read from the delivery stream and not yet acknowledged.");
    }

    /// <summary>Outcomes of a request at ingress, as the <c>outcome</c> tag says them.</summary>
    public static class IngressOutcome
    {
        public const string Accepted = "accepted";
        public const string Unauthorized = "unauthorized";
        public const string UnknownSource = "unknown_source";
        public const string TooLarge = "too_large";
        public const string Unavailable = "unavailable";
    }

    public void MessageReceived(long sourceId, string outcome) =>
        _messagesReceived.Add(1, new("webhook.source.id", sourceId), new("outcome", outcome));

    public void AttemptFinished(string targetName, string outcome, TimeSpan duration)
    {
        var target = new KeyValuePair<string, object?>("webhook.target.name", targetName);
        _attempts.Add(1, target, new("outcome", outcome));
        _attemptDuration.Record(duration.TotalSeconds, target, new("outcome", outcome));
    }

    public void Delivered(string targetName, TimeSpan sinceReceived) =>
        _deliveryLatency.Record(sinceReceived.TotalSeconds, new KeyValuePair<string, object?>("webhook.target.name", targetName));

    /// <summary>Latest sampled queue sizes, reported by the gauges at each collection.</summary>
    public void QueueSampled(long retryBacklog, long streamPending)
    {
        Volatile.Write(ref _retryBacklog, retryBacklog);
        Volatile.Write(ref _streamPending, streamPending);
    }

    public void Dispose() => _meter.Dispose();
}
