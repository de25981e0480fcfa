namespace WebhookEnterprise.Core;

/// <summary>A service that sends webhooks, with its credentials and the answer it gets at once.</summary>
public sealed record Source(
    long Id,
    string Name,
    string Key,
    string Secret,
    int StatusCode,
    string ContentType,
    string Content,
    DateTimeOffset CreatedAt);
