using System.Globalization;

namespace WebhookEnterprise.Core;

/// <summary>Times in log records: UTC, to the second, as <c>2017-05-14T02:23:50+0000</c>.</summary>
public static class LogTime
{
    public static string Format(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+0000'", CultureInfo.InvariantCulture);
}
