namespace WebhookEnterprise.Api;

/// <summary>
/// A request's header lines as they were on the wire, for plaintext HTTP/1.1: names as
/// spelled, in the order sent, a repeated name as separate lines. The server's own view keeps
/// repeats apart too, but it spells the names it knows its own way and lists them first, and
/// it groups the values of a name together.
/// </summary>
public sealed record WireHeaders(IReadOnlyList<KeyValuePair<string, string>> Headers);
