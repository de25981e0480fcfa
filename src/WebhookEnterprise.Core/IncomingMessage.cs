namespace WebhookEnterprise.Core;

/// <summary>
/// A request a source sent, exactly as received: the sub-path after the source id (empty or
/// starting with '/'), the raw query string without its '?', headers in order and spelling, and
/// the body bytes. <see cref="TraceParent"/> is the W3C trace context of the request that
/// brought it in, kept so that every later attempt, retries and resends too, can find its trace.
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
    DateTimeOffset ReceivedAt)
{
    public string? TraceParent { get; init; }
}
