using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

/// <summary>
/// <c>GET /api/log</c>: the last records as JSON lines, and with <c>follow=true</c> every new
/// record after them until the caller hangs up.
/// </summary>
public static class LogEndpoints
{
    public const int DefaultCount = 10;

    private const int MaxCount = 10_000;

    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(250);

    // Sequence numbers are taken when a record is written but become visible when its
    // transaction commits, so a record can appear behind the cursor. Each poll looks back
    // this far and skips the records it has already sent.
    private const long FollowLookback = 200;

    private const int SeenLimit = 4 * (int)FollowLookback;

    public static IEndpointRouteBuilder MapLogEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/log", ReadAsync)
            .AddEndpointFilter<AdminTokenFilter>()
            .WithName("ReadLog");

        return app;
    }

    private static async Task<IResult> ReadAsync(
        HttpContext context,
        string[]? type,
        int? n,
        string? source,
        string? target,
        string? message,
        bool? follow,
        SourceRepository sources,
        TargetRepository targets,
        LogRepository log)
    {
        var cancellationToken = context.RequestAborted;
        var types = type ?? [];
        foreach (var name in types)
        {
            if (!LogRecordType.All.Contains(name))
            {
                return ProblemResults.Invalid("type", $"'{name}' is not a record type; the types are {string.Join(", ", LogRecordType.All)}.");
            }
        }

        var count = n ?? DefaultCount;
        if (count is < 0 or > MaxCount)
        {
            return ProblemResults.Invalid("n", $"The number of records {count} is not between 0 and {MaxCount}.");
        }

        long? sourceId = null;
        if (!string.IsNullOrEmpty(source))
        {
            var found = await sources.FindAsync(source, cancellationToken);
            if (found is null)
            {
                return ProblemResults.NotFound("source", $"There is no source with the id or name '{source}'.");
            }

            sourceId = found.Id;
        }

        Guid? targetId = null;
        if (!string.IsNullOrEmpty(target))
        {
            var found = await targets.FindAsync(target, cancellationToken);
            if (found is null)
            {
                return ProblemResults.NotFound("target", $"There is no target with the id or name '{target}'.");
            }

            targetId = found.Id;
        }

        Guid? messageId = null;
        if (!string.IsNullOrEmpty(message))
        {
            if (!Ids.TryParse(message, out var parsed))
            {
                return ProblemResults.Invalid("message", $"'{message}' is not a message id (32 hex digits).");
            }

            messageId = parsed;
        }

        var query = new LogQuery(types, sourceId, targetId, messageId);
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";

        var cursor = await log.LastSeqAsync(cancellationToken);
        var rows = await log.TailAsync(query, count, cancellationToken);
        await WriteLinesAsync(context.Response, rows, cancellationToken);

        if (follow == true)
        {
            await FollowAsync(context.Response, log, query, cursor, cancellationToken);
        }

        return Results.Empty;
    }

    private static async Task FollowAsync(
        HttpResponse response,
        LogRepository log,
        LogQuery query,
        long cursor,
        CancellationToken cancellationToken)
    {
        var floor = cursor;
        var seen = new HashSet<Guid>();
        var seenOrder = new Queue<Guid>();
        await response.Body.FlushAsync(cancellationToken);

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var rows = await log.ReadAfterAsync(query, cursor - FollowLookback, 1_000, cancellationToken);
                var fresh = new List<LogRow>();
                foreach (var row in rows)
                {
                    if (row.Seq > floor && seen.Add(row.Id))
                    {
                        seenOrder.Enqueue(row.Id);
                        fresh.Add(row);
                    }

                    cursor = Math.Max(cursor, row.Seq);
                }

                while (seenOrder.Count > SeenLimit)
                {
                    seen.Remove(seenOrder.Dequeue());
                }

                if (fresh.Count > 0)
                {
                    await WriteLinesAsync(response, fresh, cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                }

                await Task.Delay(FollowInterval, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The follower hung up; there is nothing more to send.
        }
    }

    private static async Task WriteLinesAsync(HttpResponse response, IEnumerable<LogRow> rows, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var row in rows)
        {
            using (var writer = new Utf8JsonWriter(buffer, LogRecordWriter.WriterOptions))
            {
                LogRecordWriter.Write(writer, row);
            }

            buffer.Write("\n"u8);
        }

        await response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }
}
