namespace WebhookEnterprise.Worker;

/// <summary>What one request to a target came to: an answer, or an error of a known kind.</summary>
public sealed record AttemptOutcome(
    string RequestMethod,
    string RequestUrl,
    TargetAnswer? Answer,
    AttemptError? Error,
    TimeSpan Elapsed)
{
    public bool Succeeded => Answer is { StatusCode: >= 200 and < 300 };

    public TimeSpan? RetryAfter => Answer?.RetryAfter;
}

public sealed record TargetAnswer(
    int StatusCode,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    long BodySize,
    string? ContentType,
    string? Location,
    TimeSpan? RetryAfter);

/// <summary>A failed request: <see cref="Kind"/> is one of the words in <see cref="AttemptErrorKind"/>.</summary>
public sealed record AttemptError(string Kind, string Message);

public static class AttemptErrorKind
{
    public const string Timeout = "timeout";
    public const string ConnectionRefused = "connection_refused";
    public const string ConnectionReset = "connection_reset";
    public const string NameResolution = "dns";
    public const string Tls = "tls";
    public const string Protocol = "protocol";
    public const string Network = "network";

    // Kinds of a delivery failed without an attempt at the target.
    public const string Gateway = "gateway";
    public const string TargetRemoved = "target_removed";
    public const string AttemptsExhausted = "attempts_exhausted";
}
