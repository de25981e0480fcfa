namespace WebhookEnterprise.Bench;

/// <summary>
/// Headers the load generators put on each webhook. The gateway forwards headers unchanged,
/// so the target reads them back from the delivery.
/// </summary>
public static class BenchHeaders
{
    /// <summary>When the request was due to be sent, in <see cref="MonotonicClock"/> microseconds.</summary>
    public const string Scheduled = "X-Bench-Scheduled";

    /// <summary>Which run a request belongs to, so that the target counts each run apart.</summary>
    public const string Run = "X-Bench-Run";

    /// <summary>Added by the gateway to every delivery; the target counts distinct messages by it.</summary>
    public const string MessageId = "X-Webhook-Message-Id";
}
