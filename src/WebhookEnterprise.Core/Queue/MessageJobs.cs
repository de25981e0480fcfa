namespace WebhookEnterprise.Core.Queue;

/// <summary>
/// The deliveries of one message to queue, with the trace context of the request or resend that
/// made them, if any.
/// </summary>
public sealed record MessageJobs(IReadOnlyList<Guid> DeliveryIds, string? TraceParent);
