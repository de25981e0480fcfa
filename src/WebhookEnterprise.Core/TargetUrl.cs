namespace WebhookEnterprise.Core;

/// <summary>
/// A target URL taken apart as the operator wrote it: <see cref="Origin"/> is the scheme, host
/// and port without credentials; <see cref="Path"/> and <see cref="Query"/> (without its '?')
/// keep their percent-encoding untouched; the credentials are decoded.
/// </summary>
public sealed record TargetUrlParts(string Origin, string Path, string Query, string? UserName, string? Password);

/// <summary>Rules for target URLs: absolute http or https, and never shown with a password.</summary>
public static class TargetUrl
{
    private const string Hidden = "***";

    public static bool IsValid(string? text, out Uri? uri)
    {
        uri = null;

        return Uri.TryCreate(text, UriKind.Absolute, out uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0;
    }

    /// <summary>
    /// The URL with any password in it replaced by <c>***</c>. A user name without a password is
    /// hidden too, since services that take a token in the URL put it there.
    /// </summary>
    public static string Redact(string url)
    {
        var (start, at, _) = Locate(url);
        if (at < 0)
        {
            return url;
        }

        var userInfo = url[start..at];
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var shown = colon < 0 ? Hidden : $"{userInfo[..colon]}:{Hidden}";

        return url[..start] + shown + url[at..];
    }

    /// <summary>Takes a valid target URL apart; see <see cref="TargetUrlParts"/>.</summary>
    public static TargetUrlParts Split(string url)
    {
        var uri = new Uri(url);
        var origin = $"{uri.Scheme}://{uri.Authority}";
        var (start, at, end) = Locate(url);
        if (start < 0)
        {
            return new TargetUrlParts(origin, uri.AbsolutePath, uri.Query.TrimStart('?'), null, null);
        }

        string? user = null;
        string? password = null;
        if (at >= 0)
        {
            var userInfo = url[start..at];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }

        var rest = url[end..];
        var fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? rest : rest[..question];
        var query = question < 0 ? "" : rest[(question + 1)..];

        return new TargetUrlParts(origin, path.Length == 0 ? "/" : path, query, user, password);
    }

    /// <summary>
    /// Where the authority starts, where its user information ends (the last '@' in it, or -1
    /// without any) and where it ends. User information cannot hold an unescaped '/', '?' or
    /// '#', so the authority ends at the first of them.
    /// </summary>
    private static (int Start, int At, int End) Locate(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return (-1, -1, -1);
        }

        var start = scheme + 3;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        if (end < 0)
        {
            end = url.Length;
        }

        var at = url.LastIndexOf('@', end - 1, end - start);

        return (start, at, end);
    }
}
