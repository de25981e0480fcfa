namespace WebhookEnterprise.Core;

/// <summary>
/// A request a source sent, exactly as received: the sub-path after the source id (empty or
/// starting with '/'), the raw query string without its '?', headers in order and spelling, and
/// the body bytes.
/// </summary>
public sealed record IncomingMessage(
    Guid Id,
    long SourceId,
    string Method,
    string Path,
    string Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    string? RemoteAddress,
    DateTimeOffset ReceivedAt);
