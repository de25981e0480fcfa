namespace WebhookEnterprise.Core.Queue;

/// <summary>The one place that names the gateway's Redis keys, stream and consumer group.</summary>
public sealed class RedisKeys(string prefix)
{
    /// <summary>The consumer group every worker reads the delivery stream through.</summary>
    public const string WorkerGroup = "workers";

    /// <summary>Stream field holding the delivery id.</summary>
    public const string DeliveryField = "delivery";

    /// <summary>Stream field holding the W3C trace context of the message's trace.</summary>
    public const string TraceParentField = "traceparent";

    /// <summary>The stream of delivery jobs, one entry per attempt to run now.</summary>
    public string DeliveryStream { get; } = $"{prefix}:deliveries";

    /// <summary>Sorted set of delivery ids waiting for a retry, scored by due time in Unix milliseconds.</summary>
    public string Retries { get; } = $"{prefix}:retries";

    /// <summary>Sorted set of worker names, scored by when each was last seen (Unix milliseconds).</summary>
    public string Workers { get; } = $"{prefix}:workers";

    /// <summary>Pub/sub channel that wakes idle workers when jobs arrive.</summary>
    public string WakeChannel { get; } = $"{prefix}:wake";

    /// <summary>Pub/sub channel on which an api process says that sources or targets changed.</summary>
    public string SourceChangesChannel { get; } = $"{prefix}:source-changes";
}
