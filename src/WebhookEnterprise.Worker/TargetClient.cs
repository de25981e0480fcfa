using System.Buffers;
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
/// Sends a stored message to a target as the sender sent it: same method, body bytes, header
/// lines (spelling, order, repeats; see <see cref="HeaderBlockStream"/>) and raw query, less
/// hop-by-hop headers, <c>Host</c> and the source's credentials, plus headers naming the
/// message, delivery and attempt, and the usual forwarding headers. Redirects are not
/// followed, nothing is decompressed, and no trace headers are added.
/// </summary>
public sealed class TargetClient : IDisposable
{
    public const string MessageIdHeader = "X-Webhook-Message-Id";
    public const string DeliveryIdHeader = "X-Webhook-Delivery-Id";
    public const string AttemptHeader = "X-Webhook-Attempt";

    private const string ForwardedFor = "X-Forwarded-For";

    // Headers that describe one hop, not the message; those the gateway computes itself; and
    // the gateway's own, which a sender (another gateway, say) may have sent too.
    private static readonly HashSet<string> DroppedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Authorization",
        "Expect", MessageIdHeader, DeliveryIdHeader, AttemptHeader, HeaderBlockStream.PlaceholderHeader,
    };

    // The characters of a header name (a "token" in RFC 9110).
    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private readonly HttpClient _http;
    private readonly WorkerOptions _options;

    public TargetClient(IOptions<WorkerOptions> options)
    {
        _options = options.Value;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            MaxConnectionsPerServer = 256,
            PlaintextStreamFilter = HeaderBlockStream.FilterAsync,

            // A connection whose answer was not read to its end (the attempt timed out while the
            // body came) is closed at once rather than drained, so nothing of an attempt
            // outlives it.
            MaxResponseDrainSize = 0,

            // A sender's traceparent is forwarded as it came; the gateway adds none of its own.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        if (_options.BlockPrivateNetworks)
        {
            handler.ConnectCallback = new TargetConnector(_options).ConnectAsync;
        }

        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Makes one attempt within the target's timeout (and <see cref="WorkerOptions.MaxAttemptTime"/>).
    /// Once the attempt ends, by an answer, an error or the timeout, its connection is closed or
    /// idle, so the next attempt never overlaps it.
    /// </summary>
    public async Task<AttemptOutcome> SendAsync(DeliveryJob job, Target target, int attempt, CancellationToken cancellationToken)
    {
        var message = job.Message;
        var url = TargetUrl.Split(target.Url);
        var requestUrl = RequestUrl(url, message.Path, message.Query);
        var method = message.Method;
        var stopwatch = Stopwatch.StartNew();
        var limit = target.Timeout < _options.MaxAttemptTime ? target.Timeout : _options.MaxAttemptTime;

        using var request = BuildRequest(job, requestUrl, url, attempt);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var (body, size, bodyError) = await ReadCappedAsync(
                response.Content,
                _options.ResponseBodyLimit,
                limit,
                timeout.Token,
                cancellationToken);

            var answer = new TargetAnswer(
                (int)response.StatusCode,
                ReadHeaders(response),
                body,
                size,
                bodyError,
                response.Content.Headers.ContentType?.ToString(),
                response.Headers.Location?.OriginalString,
                RetryAfter(response.Headers));

            return new AttemptOutcome(method, requestUrl, answer, null, stopwatch.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new AttemptError(
                AttemptErrorKind.Timeout,
                $"The target did not answer within {Durations.Format(limit)}.");

            return new AttemptOutcome(method, requestUrl, null, error, stopwatch.Elapsed);
        }
        catch (HttpRequestException e)
        {
            return new AttemptOutcome(method, requestUrl, null, Classify(e), stopwatch.Elapsed);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The target's URL with the message's sub-path after its path and the message's raw query
    /// after its own, all as written: nothing is decoded or re-encoded.
    /// </summary>
    internal static string RequestUrl(TargetUrlParts url, string subPath, string query)
    {
        var path = subPath.Length > 0 ? url.Path.TrimEnd('/') + subPath : url.Path;
        var fullQuery = (url.Query.Length, query.Length) switch
        {
            (0, 0) => "",
            (0, _) => "?" + query,
            (_, 0) => "?" + url.Query,
            _ => "?" + url.Query + "&" + query,
        };

        return url.Origin + path + fullQuery;
    }

    private static HttpRequestMessage BuildRequest(DeliveryJob job, string requestUrl, TargetUrlParts url, int attempt)
    {
        var message = job.Message;
        var uri = new Uri(requestUrl, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(new HttpMethod(message.Method), uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        var hasBody = message.Body.Length > 0
            || HeaderList.Find(message.Headers, "Content-Length") is not null
            || HeaderList.Find(message.Headers, "Transfer-Encoding") is not null;
        if (hasBody)
        {
            request.Content = new ByteArrayContent(message.Body);
        }

        // First, so that the sender's lines follow Host in the order they came.
        var forwarded = ForwardedHeaders(message);
        var block = HeaderBlockStream.Encode(forwarded);
        request.Headers.TryAddWithoutValidation(HeaderBlockStream.PlaceholderHeader, block);

        if (url.UserName is not null)
        {
            var credentials = $"{url.UserName}:{url.Password}";
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", encoded);
        }

        request.Headers.TryAddWithoutValidation(MessageIdHeader, Ids.Format(message.Id));
        request.Headers.TryAddWithoutValidation(DeliveryIdHeader, Ids.Format(job.DeliveryId));
        var attemptText = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation(AttemptHeader, attemptText);

        if (message.RemoteAddress is { } remote && HeaderList.Find(forwarded, ForwardedFor) is null)
        {
            request.Headers.TryAddWithoutValidation(ForwardedFor, remote);
        }

        if (HeaderList.Find(message.Headers, "X-Forwarded-Host") is null
            && HeaderList.Find(message.Headers, "Host") is { } host)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        }

        // TODO: the scheme the sender used is not stored with the message, so this says http
        // even when the api served https; saying it right needs a column in messages.
        if (HeaderList.Find(message.Headers, "X-Forwarded-Proto") is null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        }

        return request;
    }

    /// <summary>
    /// The sender's header lines that go on to the target, in order: all but those of
    /// <see cref="DroppedHeaders"/> and those a <c>Connection</c> header names, with the
    /// sender's address appended to the last <c>X-Forwarded-For</c> line if there is one.
    /// Lines that could not be written as sent (not a token name, a line break in the value)
    /// are left out; ingress never stores such lines.
    /// </summary>
    private static List<KeyValuePair<string, string>> ForwardedHeaders(IncomingMessage message)
    {
        var connectionTokens = ConnectionTokens(message.Headers);
        var forwarded = new List<KeyValuePair<string, string>>(message.Headers.Count);
        var lastForwardedFor = -1;
        foreach (var (name, value) in message.Headers)
        {
            if (DroppedHeaders.Contains(name)
                || connectionTokens.Contains(name)
                || !IsToken(name)
                || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                continue;
            }

            if (string.Equals(name, ForwardedFor, StringComparison.OrdinalIgnoreCase))
            {
                lastForwardedFor = forwarded.Count;
            }

            forwarded.Add(new(name, value));
        }

        if (lastForwardedFor >= 0 && message.RemoteAddress is { } remote)
        {
            var (name, value) = forwarded[lastForwardedFor];
            forwarded[lastForwardedFor] = new(name, $"{value}, {remote}");
        }

        return forwarded;
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && !name.AsSpan().ContainsAnyExcept(TokenCharacters);

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

    /// <summary>
    /// Keeps up to <paramref name="limit"/> bytes of the answer's body and counts the rest. The
    /// status has decided the attempt already, so a body that stops early or outlasts the
    /// timeout ends the reading with a note instead of failing the attempt.
    /// </summary>
    private static async Task<(byte[] Body, long Size, string? Error)> ReadCappedAsync(
        HttpContent content,
        int limit,
        TimeSpan timeLimit,
        CancellationToken timeout,
        CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long size = 0;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(timeout);
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout)) > 0)
            {
                var room = (int)Math.Max(0, Math.Min(read, limit - size));
                kept.Write(buffer, 0, room);
                size += read;
            }

            return (kept.ToArray(), size, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var waited = Durations.Format(timeLimit);

            return (kept.ToArray(), size, $"The body was still coming after {waited}; {size} bytes were read.");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (kept.ToArray(), size, $"The body broke off after {size} bytes: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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
        if (FindInner<BlockedAddressException>(e) is { } blocked)
        {
            // Only a change of the target's URL or of the worker's settings helps: no retry.
            return new AttemptError(AttemptErrorKind.BlockedAddress, blocked.Message, Retryable: false);
        }

        var socket = FindInner<SocketException>(e);
        var kind = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => AttemptErrorKind.NameResolution,
            HttpRequestError.SecureConnectionError => AttemptErrorKind.Tls,
            _ when socket?.SocketErrorCode == SocketError.ConnectionRefused => AttemptErrorKind.ConnectionRefused,
            _ when socket?.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted =>
                AttemptErrorKind.ConnectionReset,
            _ when socket?.SocketErrorCode == SocketError.TimedOut || FindInner<TimeoutException>(e) is not null =>
                AttemptErrorKind.Timeout,
            _ when socket?.SocketErrorCode == SocketError.HostNotFound => AttemptErrorKind.NameResolution,
            _ when FindInner<AuthenticationException>(e) is not null => AttemptErrorKind.Tls,
            HttpRequestError.ResponseEnded => AttemptErrorKind.ConnectionReset,
            HttpRequestError.InvalidResponse => AttemptErrorKind.Protocol,
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
