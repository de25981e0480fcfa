using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Options;
using WebhookEnterprise.Core;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Sends a stored message to a target as the sender sent it: same method, body bytes, headers
/// (spelling, order, repeats) and query, less hop-by-hop headers, <c>Host</c> and the source's
/// credentials, plus headers naming the message, delivery and attempt, and the usual
/// forwarding headers. Redirects are not followed and nothing is decompressed.
/// </summary>
public sealed class TargetClient : IDisposable
{
    public const string MessageIdHeader = "X-Webhook-Message-Id";
    public const string DeliveryIdHeader = "X-Webhook-Delivery-Id";
    public const string AttemptHeader = "X-Webhook-Attempt";

    // Headers that describe one hop, not the message, plus those the gateway computes itself.
    private static readonly HashSet<string> DroppedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Authorization",
        "Expect",
    };

    private readonly HttpClient _http;
    private readonly WorkerOptions _options;

    public TargetClient(IOptions<WorkerOptions> options)
    {
        _options = options.Value;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            MaxConnectionsPerServer = 256,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async Task<AttemptOutcome> SendAsync(DeliveryJob job, Target target, int attempt, CancellationToken cancellationToken)
    {
        var message = job.Message;
        var (uri, credentials) = BuildUri(target.Url, message.Path, message.Query);
        var shownUrl = TargetUrl.Redact(target.Url);
        var method = message.Method;
        var stopwatch = Stopwatch.StartNew();

        using var request = BuildRequest(job, uri, credentials, attempt);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.Timeout < _options.MaxAttemptTime ? target.Timeout : _options.MaxAttemptTime);

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var (body, size) = await ReadCappedAsync(response.Content, _options.ResponseBodyLimit, timeout.Token);

            var answer = new TargetAnswer(
                (int)response.StatusCode,
                ReadHeaders(response),
                body,
                size,
                response.Content.Headers.ContentType?.ToString(),
                response.Headers.Location?.OriginalString,
                RetryAfter(response.Headers));

            return new AttemptOutcome(method, shownUrl, answer, null, stopwatch.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new AttemptError(AttemptErrorKind.Timeout, $"The target did not answer within {Durations.Format(target.Timeout)}.");

            return new AttemptOutcome(method, shownUrl, null, error, stopwatch.Elapsed);
        }
        catch (HttpRequestException e)
        {
            return new AttemptOutcome(method, shownUrl, null, Classify(e), stopwatch.Elapsed);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The target's URL with the message's sub-path after its path and the message's raw query
    /// after its own; credentials in the URL come back separately for a Basic header.
    /// </summary>
    internal static (Uri Uri, string? Credentials) BuildUri(string targetUrl, string subPath, string query)
    {
        var parsed = new Uri(targetUrl);
        string? credentials = null;
        if (parsed.UserInfo.Length > 0)
        {
            var separator = parsed.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = separator < 0 ? parsed.UserInfo : parsed.UserInfo[..separator];
            var password = separator < 0 ? "" : parsed.UserInfo[(separator + 1)..];
            credentials = $"{Uri.UnescapeDataString(user)}:{Uri.UnescapeDataString(password)}";
        }

        var path = parsed.AbsolutePath;
        if (subPath.Length > 0)
        {
            path = path.TrimEnd('/') + subPath;
        }

        var ownQuery = parsed.Query.TrimStart('?');
        var fullQuery = (ownQuery.Length, query.Length) switch
        {
            (0, 0) => "",
            (0, _) => "?" + query,
            (_, 0) => "?" + ownQuery,
            _ => "?" + ownQuery + "&" + query,
        };

        var text = $"{parsed.Scheme}://{parsed.Authority}{path}{fullQuery}";

        return (new Uri(text, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }), credentials);
    }

    private static HttpRequestMessage BuildRequest(DeliveryJob job, Uri uri, string? credentials, int attempt)
    {
        var message = job.Message;
        var request = new HttpRequestMessage(new HttpMethod(message.Method), uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        var hasBody = message.Body.Length > 0
            || HeaderList.Find(message.Headers, "Content-Length") is not null
            || HeaderList.Find(message.Headers, "Transfer-Encoding") is not null;
        if (hasBody)
        {
            request.Content = new ByteArrayContent(message.Body);
        }

        var connectionTokens = ConnectionTokens(message.Headers);
        foreach (var (name, value) in message.Headers)
        {
            if (DroppedHeaders.Contains(name) || connectionTokens.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        request.Headers.TryAddWithoutValidation(MessageIdHeader, Ids.Format(message.Id));
        request.Headers.TryAddWithoutValidation(DeliveryIdHeader, Ids.Format(job.DeliveryId));
        request.Headers.TryAddWithoutValidation(AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddForwardingHeaders(request, message);

        return request;
    }

    private static void AddForwardingHeaders(HttpRequestMessage request, IncomingMessage message)
    {
        if (message.RemoteAddress is { } remote)
        {
            var earlier = HeaderList.Find(message.Headers, "X-Forwarded-For");
            request.Headers.Remove("X-Forwarded-For");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", earlier is null ? remote : $"{earlier}, {remote}");
        }

        if (HeaderList.Find(message.Headers, "X-Forwarded-Host") is null && HeaderList.Find(message.Headers, "Host") is { } host)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        }

        if (HeaderList.Find(message.Headers, "X-Forwarded-Proto") is null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        }
    }

    /// <summary>Names listed in a <c>Connection</c> header belong to that hop too.</summary>
    private static HashSet<string> ConnectionTokens(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var tokens = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            if (string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    tokens.Add(token);
                }
            }
        }

        return tokens;
    }

    private static List<KeyValuePair<string, string>> ReadHeaders(HttpResponseMessage response)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers.NonValidated)
        {
            foreach (var value in values)
            {
                headers.Add(new(name, value));
            }
        }

        foreach (var (name, values) in response.Content.Headers.NonValidated)
        {
            foreach (var value in values)
            {
                headers.Add(new(name, value));
            }
        }

        return headers;
    }

    /// <summary>Reads up to <paramref name="limit"/> bytes to keep and counts the rest.</summary>
    private static async Task<(byte[] Body, long Size)> ReadCappedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var kept = new MemoryStream();
        var buffer = new byte[16 * 1024];
        long size = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var room = (int)Math.Max(0, Math.Min(read, limit - size));
            kept.Write(buffer, 0, room);
            size += read;
        }

        return (kept.ToArray(), size);
    }

    /// <summary>The first readable <c>Retry-After</c> value; unreadable ones are ignored.</summary>
    private static TimeSpan? RetryAfter(HttpResponseHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues("Retry-After", out var values))
        {
            return null;
        }

        var now = DateTimeOffset.UtcNow;
        foreach (var value in values)
        {
            if (RetryAfterHeader.Read(value, now) is { } wait)
            {
                return wait;
            }
        }

        return null;
    }

    private static AttemptError Classify(HttpRequestException e)
    {
        var socket = FindInner<SocketException>(e);
        var kind = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => AttemptErrorKind.NameResolution,
            HttpRequestError.SecureConnectionError => AttemptErrorKind.Tls,
            HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => socket?.SocketErrorCode == SocketError.ConnectionReset
                ? AttemptErrorKind.ConnectionReset
                : AttemptErrorKind.Protocol,
            _ when socket?.SocketErrorCode == SocketError.ConnectionRefused => AttemptErrorKind.ConnectionRefused,
            _ when socket?.SocketErrorCode == SocketError.ConnectionReset => AttemptErrorKind.ConnectionReset,
            _ when FindInner<AuthenticationException>(e) is not null => AttemptErrorKind.Tls,
            _ => AttemptErrorKind.Network,
        };

        var innermost = e as Exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        var detail = innermost == e ? e.Message : $"{e.Message} ({innermost.Message})";

        return new AttemptError(kind, detail.ReplaceLineEndings(" "));
    }

    private static T? FindInner<T>(Exception e)
        where T : Exception
    {
        for (var current = e as Exception; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }
}
