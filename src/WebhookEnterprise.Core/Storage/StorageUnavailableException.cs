namespace WebhookEnterprise.Core.Storage;

/// <summary>Postgres could not be reached or did not answer; the caller should try again later.</summary>
public sealed class StorageUnavailableException(Exception inner)
    : Exception("The message store (Postgres) cannot be reached.", inner);
