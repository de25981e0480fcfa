namespace WebhookEnterprise.Core;

/// <summary>Everything a worker needs to make the next attempt of one delivery.</summary>
public sealed record DeliveryJob(
    Guid DeliveryId,
    string State,
    int Attempts,
    IncomingMessage Message,
    Target? Target);
