namespace WebhookEnterprise.Core;

/// <summary>Where a delivery stands; stored and shown as the lowercase words below.</summary>
public static class DeliveryState
{
    public const string Pending = "pending";
    public const string Retrying = "retrying";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
