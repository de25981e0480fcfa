using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace WebhookEnterprise.Api;

/// <summary>Reading a sender's body under the limits of <see cref="ApiOptions"/>.</summary>
public static partial class IngressEndpoints
{
    private const int ReadChunkBytes = 64 * 1024;

    /// <summary>
    /// The whole body as sent, or null once the sender has been answered instead: 413 when it is
    /// over <see cref="ApiOptions.MaxBodyBytes"/> (known from <c>Content-Length</c> before
    /// anything is read, or as soon as a chunked body passes the limit, so that no more than the
    /// limit is ever held), 408 when it takes longer than <see cref="ApiOptions.BodyReadTimeout"/>
    /// or arrives slower than the minimum data rate, nothing when the sender hung up.
    /// </summary>
    private static async Task<byte[]?> ReadBodyAsync(
        HttpContext context,
        long sourceId,
        ApiOptions limits,
        ILogger logger)
    {
        // Ingress counts the bytes itself rather than letting the server fail the read, so that
        // it can answer 413 and keep reading what is still on its way (see RefuseTooLargeAsync).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = null;
        }

        var declared = context.Request.ContentLength;
        if (declared > limits.MaxBodyBytes)
        {
            LogDeclaredBodyTooLarge(logger, sourceId, declared.Value, limits.MaxBodyBytes);
            await RefuseTooLargeAsync(context, limits);

            return null;
        }

        var aborted = context.RequestAborted;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(limits.BodyReadTimeout);
        try
        {
            var body = declared is { } length
                ? await ReadExactAsync(context.Request.Body, length, deadline.Token)
                : await ReadUpToAsync(context.Request.Body, limits.MaxBodyBytes, deadline.Token);
            if (body is null)
            {
                LogChunkedBodyTooLarge(logger, sourceId, limits.MaxBodyBytes);
                await RefuseTooLargeAsync(context, limits);
            }

            return body;
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            LogBodyTooSlow(logger, sourceId, limits.BodyReadTimeout.TotalSeconds);
            context.Response.StatusCode = StatusCodes.Status408RequestTimeout;
            context.Response.Headers.Connection = "close";

            return null;
        }
        catch (BadHttpRequestException e)
        {
            // The server's minimum data rate, or a body that breaks its own framing.
            LogBodyRefused(logger, sourceId, e.StatusCode, e.Message);
            context.Response.StatusCode = e.StatusCode;

            return null;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            LogSenderGone(logger, sourceId);

            return null;
        }
    }

    private static async Task<byte[]> ReadExactAsync(Stream body, long length, CancellationToken cancellationToken)
    {
        var exact = new byte[length];
        await body.ReadExactlyAsync(exact, cancellationToken);

        return exact;
    }

    /// <summary>A body of unknown length, or null as soon as it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadUpToAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var chunks = new List<byte[]>();
        long total = 0;
        try
        {
            while (true)
            {
                var chunk = ArrayPool<byte>.Shared.Rent(ReadChunkBytes);
                chunks.Add(chunk);
                var filled = 0;
                while (filled < ReadChunkBytes)
                {
                    var read = await body.ReadAsync(chunk.AsMemory(filled, ReadChunkBytes - filled), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                    total += read;
                    if (total > limit)
                    {
                        return null;
                    }
                }

                if (filled < ReadChunkBytes)
                {
                    break;
                }
            }

            var whole = new byte[total];
            var offset = 0;
            foreach (var chunk in chunks)
            {
                var take = (int)Math.Min(ReadChunkBytes, total - offset);
                chunk.AsSpan(0, take).CopyTo(whole.AsSpan(offset));
                offset += take;
            }

            return whole;
        }
        finally
        {
            foreach (var chunk in chunks)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }
    }

    /// <summary>
    /// Answers 413 at once, then reads and throws away the rest of the body for up to
    /// <see cref="ApiOptions.RefusedBodyDrainTime"/>, since many clients read the answer only
    /// after sending everything. A sender still sending after that is disconnected.
    /// </summary>
    private static async Task RefuseTooLargeAsync(HttpContext context, ApiOptions limits)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        await context.Response.CompleteAsync();

        using var drain = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        drain.CancelAfter(limits.RefusedBodyDrainTime);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadChunkBytes);
        try
        {
            while (await context.Request.Body.ReadAsync(buffer, drain.Token) > 0)
            {
                // Thrown away.
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            context.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(EventId = 2002, EventName = "BodyTooLarge", Level = LogLevel.Warning,
        Message = "Refused a message from source {SourceId} with 413: its Content-Length of {DeclaredBytes} bytes is over the limit of {LimitBytes} bytes")]
    private static partial void LogDeclaredBodyTooLarge(ILogger logger, long sourceId, long declaredBytes, long limitBytes);

    [LoggerMessage(EventId = 2005, EventName = "ChunkedBodyTooLarge", Level = LogLevel.Warning,
        Message = "Refused a message from source {SourceId} with 413: its body grew past the limit of {LimitBytes} bytes")]
    private static partial void LogChunkedBodyTooLarge(ILogger logger, long sourceId, long limitBytes);

    [LoggerMessage(EventId = 2006, EventName = "BodyTooSlow", Level = LogLevel.Warning,
        Message = "Refused a message from source {SourceId} with 408: its body took longer than {TimeoutSeconds} seconds")]
    private static partial void LogBodyTooSlow(ILogger logger, long sourceId, double timeoutSeconds);

    [LoggerMessage(EventId = 2007, EventName = "BodyRefused", Level = LogLevel.Warning,
        Message = "Refused a message from source {SourceId} with {StatusCode}: {Reason}")]
    private static partial void LogBodyRefused(ILogger logger, long sourceId, int statusCode, string reason);

    [LoggerMessage(EventId = 2008, EventName = "SenderGone", Level = LogLevel.Information,
        Message = "Source {SourceId} hung up before its body arrived; nothing was stored")]
    private static partial void LogSenderGone(ILogger logger, long sourceId);
}
