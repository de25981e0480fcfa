using System.Net.Http.Headers;

namespace WebhookEnterprise.Core;

/// <summary>
/// A target's <c>Retry-After</c>: a number of seconds or an HTTP date. A value that is neither
/// reads as no header at all, and a date already past asks for no wait.
/// </summary>
public static class RetryAfterHeader
{
    public static TimeSpan? Read(string? value, DateTimeOffset now)
    {
        if (!RetryConditionHeaderValue.TryParse(value, out var parsed))
        {
            return null;
        }

        if (parsed.Delta is { } delta)
        {
            return delta;
        }

        if (parsed.Date is { } date)
        {
            return date > now ? date - now : TimeSpan.Zero;
        }

        return null;
    }
}
