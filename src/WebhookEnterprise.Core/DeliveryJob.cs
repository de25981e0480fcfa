namespace WebhookEnterprise.Core;

/// <summary>
/// Everything a worker needs to make the next attempt of one delivery. <see cref="NextRunAt"/>
/// is when that attempt is due; null once the delivery has finished.
/// </summary>
public sealed record DeliveryJob(
    Guid DeliveryId,
    string State,
    int Attempts,
    DateTimeOffset? NextRunAt,
    IncomingMessage Message,
    Target? Target);
