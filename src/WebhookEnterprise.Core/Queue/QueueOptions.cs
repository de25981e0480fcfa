namespace WebhookEnterprise.Core.Queue;

/// <summary>Where the gateway keeps its work in Redis. Every key starts with <see cref="KeyPrefix"/>.</summary>
public sealed class QueueOptions
{
    public const string SectionName = "Queue";

    public string KeyPrefix { get; set; } = "webhooks";
}
