namespace WebhookEnterprise.Core;

/// <summary>
/// Ids of messages, deliveries, targets and log records: UUIDv7, written as 32 lowercase
/// hex digits, so that they sort by creation time.
/// </summary>
public static class Ids
{
    public static Guid New() => Guid.CreateVersion7();

    public static string Format(Guid id) => id.ToString("N");

    public static bool TryParse(string? text, out Guid id)
    {
        id = Guid.Empty;

        return text is { Length: 32 } && Guid.TryParseExact(text, "N", out id);
    }

    /// <summary>32 lowercase hex characters from a cryptographic source, for source credentials.</summary>
    public static string NewSecret() =>
        Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}
