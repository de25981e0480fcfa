namespace WebhookEnterprise.Core;

/// <summary>Rules for target URLs: absolute http or https, and never shown with a password.</summary>
public static class TargetUrl
{
    public static bool IsValid(string? text, out Uri? uri)
    {
        uri = null;

        return Uri.TryCreate(text, UriKind.Absolute, out uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0;
    }

    /// <summary>The URL with any password in it replaced by <c>***</c>.</summary>
    public static string Redact(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            return url;
        }

        var user = uri.UserInfo[..uri.UserInfo.IndexOf(':', StringComparison.Ordinal)];
        var at = url.IndexOf('@', StringComparison.Ordinal);

        return $"{uri.Scheme}://{user}:***{url[at..]}";
    }
}
