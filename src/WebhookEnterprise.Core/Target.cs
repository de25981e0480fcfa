namespace WebhookEnterprise.Core;

/// <summary>A service that receives the messages of one source, under one retry policy.</summary>
public sealed record Target(
    Guid Id,
    string Name,
    long SourceId,
    string SourceName,
    string Url,
    TimeSpan Timeout,
    RetryPolicy RetryPolicy,
    DateTimeOffset CreatedAt);
