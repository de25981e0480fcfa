namespace WebhookEnterprise.Worker;

/// <summary>
/// What one request to a target came to: an answer, or an error of a known kind.
/// <see cref="RequestUrl"/> is the URL requested, without the credentials the target URL may hold.
/// </summary>
public sealed record AttemptOutcome(
    string RequestMethod,
    string RequestUrl,
    TargetAnswer? Answer,
    AttemptError? Error,
    TimeSpan Elapsed)
{
    public bool Succeeded => Answer is { StatusCode: >= 200 and < 300 };

    /// <summary>Whether another attempt could come out differently: not after errors only new settings cure.</summary>
    public bool Retryable => Error is null || Error.Retryable;

    public TimeSpan? RetryAfter => Answer?.RetryAfter;
}

/// <summary>
/// The target's answer. <see cref="Body"/> is at most the configured number of bytes and
/// <see cref="BodySize"/> the length the target sent; <see cref="BodyError"/> says why the
/// body ended early when it did, which does not change what the status decided.
/// </summary>
public sealed record TargetAnswer(
    int StatusCode,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    long BodySize,
    string? BodyError,
    string? ContentType,
    string? Location,
    TimeSpan? RetryAfter);

/// <summary>A failed request: <see cref="Kind"/> is one of the words in <see cref="AttemptErrorKind"/>.</summary>
public sealed record AttemptError(string Kind, string Message, bool Retryable = true);

public static class AttemptErrorKind
{
    public const string Timeout = "timeout";
    public const string ConnectionRefused = "connection_refused";
    /// <summary>The target reset or closed the connection before its answer was complete.</summary>
    public const string ConnectionReset = "connection_reset";
    public const string NameResolution = "dns";
    public const string Tls = "tls";
    public const string Protocol = "protocol";
    public const string Network = "network";

    /// <summary>The target's address is in a network <see cref="WorkerOptions.BlockPrivateNetworks"/> bars.</summary>
    public const string BlockedAddress = "blocked_address";
    // Kinds of a delivery failed without an attempt at the target.
    public const string Gateway = "gateway";
    public const string TargetRemoved = "target_removed";
    public const string AttemptsExhausted = "attempts_exhausted";
}
