namespace WebhookEnterprise.Core.Storage;

/// <summary>A write that would break a rule of the data, such as a second source of one name.</summary>
public sealed class ConflictException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
