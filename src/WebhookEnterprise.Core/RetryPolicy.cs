namespace WebhookEnterprise.Core;

public enum RetryPolicyKind
{
    Linear,
    Exponential,
    Schedule,
    None,
}

/// <summary>
/// When a failed delivery runs again. Attempts are counted from 1; the policy answers how long
/// to wait after a given failed attempt, or null when no attempt follows.
/// </summary>
public sealed record RetryPolicy(
    RetryPolicyKind Kind,
    TimeSpan Interval,
    TimeSpan MaxInterval,
    IReadOnlyList<TimeSpan> Schedule,
    int MaxAttempts)
{
    public const int DefaultMaxAttempts = 10;

    /// <summary>The longest wait a target's <c>Retry-After</c> may impose.</summary>
    public static readonly TimeSpan RetryAfterCap = TimeSpan.FromHours(1);

    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultMaxInterval = TimeSpan.FromHours(1);

    public static RetryPolicy Default { get; } =
        new(RetryPolicyKind.Linear, DefaultInterval, DefaultMaxInterval, [], DefaultMaxAttempts);

    public static string Name(RetryPolicyKind kind) => kind.ToString().ToLowerInvariant();

    public static bool TryParseKind(string? text, out RetryPolicyKind kind) =>
        Enum.TryParse(text, ignoreCase: true, out kind)
            && Enum.IsDefined(kind)
            && !int.TryParse(text, out _);

    /// <summary>
    /// Attempts the policy allows in all: <c>none</c> allows one, and a schedule one more than its
    /// steps, never more than <see cref="MaxAttempts"/>.
    /// </summary>
    public int AttemptLimit => Kind switch
    {
        RetryPolicyKind.None => 1,
        RetryPolicyKind.Schedule => Math.Min(MaxAttempts, Schedule.Count + 1),
        _ => MaxAttempts,
    };

    /// <summary>
    /// The wait after failed attempt <paramref name="attempt"/>, or null when the delivery stops.
    /// A <paramref name="retryAfter"/> from the target lengthens the wait, up to
    /// <see cref="RetryAfterCap"/>; it never shortens it, nor adds an attempt.
    /// </summary>
    public TimeSpan? DelayAfter(int attempt, TimeSpan? retryAfter, Random random)
    {
        if (attempt >= AttemptLimit)
        {
            return null;
        }

        var delay = Kind switch
        {
            RetryPolicyKind.Linear => Interval,
            RetryPolicyKind.Exponential => Exponential(attempt, random),
            RetryPolicyKind.Schedule => Schedule[attempt - 1],
            _ => TimeSpan.Zero,
        };

        if (retryAfter is { } wanted && wanted > delay)
        {
            delay = wanted < RetryAfterCap ? wanted : RetryAfterCap;
        }

        return delay;
    }

    private TimeSpan Exponential(int attempt, Random random)
    {
        // Doubles from the base up to the cap. The wait is drawn from the upper half of the
        // planned interval, so that retries of deliveries that failed together spread out,
        // yet none comes sooner than half the plan nor later than the cap.
        var exponent = Math.Min(attempt - 1, 30);
        var planned = Math.Min(Interval.TotalMilliseconds * Math.Pow(2, exponent), MaxInterval.TotalMilliseconds);
        var jittered = (planned / 2) + (random.NextDouble() * planned / 2);

        return TimeSpan.FromMilliseconds(jittered);
    }
}
