using System.Diagnostics;

namespace WebhookEnterprise.Core.Telemetry;

/// <summary>
/// How one message becomes one trace. The ingress request span is its root; the span around
/// queueing its jobs is a child of it, and its context travels in each stream entry, so that
/// the worker's attempt continues the trace. A retry comes back through a script that carries
/// no context, so its attempt continues the context stored with the message instead; a resend
/// is a request with a trace of its own, so its attempts live there and link to the message's.
/// </summary>
public sealed partial class GatewayTelemetry
{
    /// <summary>Span around putting jobs on the delivery stream, in the api.</summary>
    public const string EnqueueSpan = "webhook.enqueue";

    /// <summary>Span of one attempt to deliver a message to a target, in a worker.</summary>
    public const string DeliverSpan = "webhook.deliver";

    /// <summary>Attributes of the gateway's spans; the metrics share the source and target ones.</summary>
    public static class Tags
    {
        public const string SourceId = "webhook.source.id";
        public const string MessageId = "webhook.message.id";
        public const string DeliveryId = "webhook.delivery.id";
        public const string TargetId = "webhook.target.id";
        public const string TargetName = "webhook.target.name";
        public const string Attempt = "webhook.attempt";
        public const string JobCount = "webhook.job.count";

        /// <summary>
        /// How many requests or attempts went to Postgres or Redis in one statement with this
        /// one's; the span links to the one whose trace holds the statement.
        /// </summary>
        public const string BatchSize = "webhook.batch.size";
        public const string IngressOutcome = "webhook.ingress.outcome";

        /// <summary>The delivery's state after the attempt: succeeded, retrying or failed.</summary>
        public const string Outcome = "webhook.outcome";

        public const string NextRunAt = "webhook.next_run_at";

        /// <summary>OpenTelemetry's name for why an operation failed: an error kind, or the status code.</summary>
        public const string ErrorType = "error.type";

        public const string HttpStatusCode = "http.response.status_code";
    }

    /// <summary>
    /// Starts the span around queueing <paramref name="jobCount"/> jobs, as a child of
    /// <paramref name="traceParent"/>. Nothing starts without a parent: jobs queued outside any
    /// request (the overdue sweep) carry no context, and their attempts fall back to the
    /// message's stored one.
    /// </summary>
    public static Activity? StartEnqueue(string? traceParent, int jobCount)
    {
        if (!ActivityContext.TryParse(traceParent, null, out var parent))
        {
            return null;
        }

        var activity = ActivitySource.StartActivity(EnqueueSpan, ActivityKind.Producer, parent);
        activity?.SetTag(Tags.JobCount, jobCount);

        return activity;
    }

    /// <summary>
    /// Starts the span of one attempt. Its parent is the context its stream entry carries, else
    /// the message's stored one; when the two belong to different traces (a resend), the span
    /// links to the message's trace as well.
    /// </summary>
    public static Activity? StartDeliver(string? jobTraceParent, string? messageTraceParent)
    {
        var fromJob = ActivityContext.TryParse(jobTraceParent, null, isRemote: true, out var job);
        var fromMessage = ActivityContext.TryParse(messageTraceParent, null, isRemote: true, out var message);

        var parent = fromJob ? job : message;
        ActivityLink[]? links = fromJob && fromMessage && job.TraceId != message.TraceId ? [new ActivityLink(message)] : null;

        return ActivitySource.StartActivity(DeliverSpan, ActivityKind.Consumer, parent, links: links);
    }

    /// <summary>
    /// Marks <paramref name="activity"/> failed by <paramref name="exception"/>, naming only its
    /// type: a message may quote an address or a key.
    /// </summary>
    public static void Failed(Activity? activity, Exception exception)
    {
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity?.SetTag(Tags.ErrorType, exception.GetType().FullName);
    }
}
