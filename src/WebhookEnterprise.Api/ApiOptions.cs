namespace WebhookEnterprise.Api;

/// <summary>Settings of the api process, from the <c>Api</c> section or <c>Api__*</c> variables.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    public const string DefaultUrl = "http://0.0.0.0:4698";

    /// <summary>
    /// The base of the URLs that <c>source add</c> prints, as senders reach the api. When unset,
    /// the address the api serves.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// The token the management API asks for as <c>Authorization: Bearer</c>. When unset, only
    /// callers on loopback may manage the gateway. Also read from <c>WEBHOOK_ADMIN_TOKEN</c>.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>The largest body ingress accepts, in bytes; larger ones are answered 413.</summary>
    public long MaxBodyBytes { get; set; } = 25 * 1024 * 1024;
}
