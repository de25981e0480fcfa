using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;
using WebhookEnterprise.Core.Telemetry;
using static WebhookEnterprise.Core.Telemetry.GatewayTelemetry;

namespace WebhookEnterprise.Api;

/// <summary>
/// Ingress: <c>ANY /{source-id}</c> and <c>ANY /{source-id}/{sub-path}</c>. A message is committed to
/// Postgres before the sender hears anything, so every 2xx stands for a stored message.
/// </summary>
public static partial class IngressEndpoints
{
    private const string RetryAfterSeconds = "5";

    public static IEndpointRouteBuilder MapIngressEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map("/{sourceId:long}", ReceiveAsync).WithName("Ingress");
        app.Map("/{sourceId:long}/{**subPath}", ReceiveAsync).WithName("IngressSubPath");

        return app;
    }

    private static async Task ReceiveAsync(
        HttpContext context,
        long sourceId,
        IngressSourceCache sources,
        IngestBatcher batcher,
        IOptions<ApiOptions> options,
        GatewayTelemetry telemetry,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(IngressEndpoints));
        var cancellationToken = context.RequestAborted;
        var receivedAt = DateTimeOffset.UtcNow;

        IngressSource? source;
        try
        {
            source = await sources.FindAsync(sourceId, cancellationToken);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            LogStorageUnavailable(logger, e, sourceId);
            telemetry.MessageReceived(null, IngressOutcome.Unavailable);
            await WriteUnavailableAsync(context);

            return;
        }

        if (source is null)
        {
            telemetry.MessageReceived(null, IngressOutcome.UnknownSource);
            context.Response.StatusCode = StatusCodes.Status404NotFound;

            return;
        }

        if (!HasCredentials(context.Request, source))
        {
            telemetry.MessageReceived(sourceId, IngressOutcome.Unauthorized);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"webhook-enterprise\", charset=\"UTF-8\"";

            return;
        }

        var body = await ReadBodyAsync(context, sourceId, options.Value, logger);
        if (body is null)
        {
            telemetry.MessageReceived(
                sourceId,
                context.Response.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? IngressOutcome.TooLarge
                    : IngressOutcome.BodyUnread);

            return;
        }

        var (path, query) = SplitTarget(context);
        var message = new IncomingMessage(
            Ids.New(),
            source.Id,
            context.Request.Method,
            path,
            query,
            ReadHeaders(context),
            body,
            context.Connection.RemoteIpAddress?.ToString(),
            receivedAt)
        { TraceParent = Activity.Current?.Id };

        var stored = batcher.StoreAsync(message, source.TargetIds);
        if (stored is null)
        {
            LogStopping(logger, sourceId);
            telemetry.MessageReceived(sourceId, IngressOutcome.Unavailable);
            await WriteUnavailableAsync(context);

            return;
        }

        IReadOnlyList<Guid> deliveryIds;
        try
        {
            deliveryIds = await stored;
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            LogStorageUnavailable(logger, e, sourceId);
            telemetry.MessageReceived(sourceId, IngressOutcome.Unavailable);
            await WriteUnavailableAsync(context);

            return;
        }

        LogReceived(logger, Ids.Format(message.Id), sourceId, body.Length, deliveryIds.Count);
        telemetry.MessageReceived(sourceId, IngressOutcome.Accepted, message.Id);

        context.Response.StatusCode = source.StatusCode;
        if (source.ContentType.Length > 0)
        {
            context.Response.ContentType = source.ContentType;
        }

        await context.Response.WriteAsync(source.Content, cancellationToken);
    }

    private static bool HasCredentials(HttpRequest request, IngressSource source)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[256];
        if (!Convert.TryFromBase64String(header.Parameter, decoded, out var length))
        {
            return false;
        }

        var expected = Encoding.UTF8.GetBytes($"{source.Key}:{source.Secret}");

        return CryptographicOperations.FixedTimeEquals(decoded[..length], expected);
    }

    /// <summary>
    /// The sub-path and query exactly as the sender wrote them, from the raw request target, so
    /// that no percent-encoding is decoded or changed on the way to the target.
    /// </summary>
    private static (string Path, string Query) SplitTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        if (!raw.StartsWith('/') && raw.IndexOf("://", StringComparison.Ordinal) is >= 0 and var scheme)
        {
            // The absolute form (POST http://host/5 HTTP/1.1): what follows the authority.
            var pathStart = raw.IndexOfAny(['/', '?'], scheme + 3);
            raw = pathStart < 0 ? "/" : raw[pathStart..];
        }

        var queryStart = raw.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? raw : raw[..queryStart];
        var query = queryStart < 0 ? "" : raw[(queryStart + 1)..];

        // Everything after the first segment, which routing matched as the source id however it
        // was written ("/5", "/05").
        var secondSegment = path.IndexOf('/', 1);
        var subPath = secondSegment < 0 ? "" : path[secondSegment..];

        return (subPath, query);
    }

    /// <summary>
    /// Every header as received except the source's own credentials: the lines as they were on
    /// the wire when <see cref="WireHeaders"/> has them (plaintext HTTP/1.1), else the server's
    /// view, which keeps repeated values apart and in order but spells the names it knows its
    /// own way, lists those first, and groups the values of each name together.
    /// </summary>
    private static List<KeyValuePair<string, string>> ReadHeaders(HttpContext context)
    {
        var headers = new List<KeyValuePair<string, string>>(context.Request.Headers.Count);
        if (context.Features.Get<WireHeaders>() is { } wire)
        {
            headers.AddRange(wire.Headers.Where(header => !IsCredentials(header.Key)));

            return headers;
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (IsCredentials(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                headers.Add(new(name, value ?? ""));
            }
        }

        return headers;
    }

    private static bool IsCredentials(string name) =>
        string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase);

    private static bool IsStorageFailure(Exception e) =>
        e is NpgsqlException or TimeoutException
            || (e is InvalidOperationException && e.InnerException is NpgsqlException);

    private static Task WriteUnavailableAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds;

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2001, EventName = "MessageReceived", Level = LogLevel.Debug,
        Message = "Stored message {MessageId} from source {SourceId}: {BodyBytes} bytes, {DeliveryCount} deliveries")]
    private static partial void LogReceived(ILogger logger, string messageId, long sourceId, int bodyBytes, int deliveryCount);


    [LoggerMessage(EventId = 2003, EventName = "StorageUnavailable", Level = LogLevel.Error,
        Message = "Answered 503 to source {SourceId}: Postgres cannot be reached")]
    private static partial void LogStorageUnavailable(ILogger logger, Exception exception, long sourceId);

    [LoggerMessage(EventId = 2011, EventName = "Stopping", Level = LogLevel.Warning,
        Message = "Answered 503 to source {SourceId}: the api is stopping")]
    private static partial void LogStopping(ILogger logger, long sourceId);
}
