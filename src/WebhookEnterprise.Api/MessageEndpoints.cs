using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

public sealed record SendRequest(string? Target);

public sealed record SendView(string MessageId, string[] Deliveries);

/// <summary>Resending stored messages: <c>POST /api/messages/{id}/send</c>.</summary>
public static partial class MessageEndpoints
{
    public static IEndpointRouteBuilder MapMessageEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/messages").AddEndpointFilter<AdminTokenFilter>();

        group.MapPost("/{id}/send", SendAsync).WithName("SendMessage");

        return app;
    }

    private static async Task<Results<Accepted<SendView>, ProblemHttpResult>> SendAsync(
        string id,
        SendRequest? request,
        TargetRepository targets,
        DeliveryRepository deliveries,
        DeliveryQueue queue,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!Ids.TryParse(id, out var messageId))
        {
            return ProblemResults.Invalid("message_id", $"'{id}' is not a message id (32 hex digits).");
        }

        var targetName = string.IsNullOrEmpty(request?.Target) ? null : request.Target;
        if (targetName is not null && await targets.FindAsync(targetName, cancellationToken) is null)
        {
            return ProblemResults.NotFound("target", $"There is no target named '{targetName}'.");
        }

        var created = await deliveries.CreateResendAsync(messageId, targetName, cancellationToken);
        if (created is null)
        {
            return ProblemResults.NotFound("message_id", $"There is no message with the id '{id}'.");
        }

        if (created.Count == 0)
        {
            var detail = targetName is null
                ? "The message's source has no targets to send it to."
                : $"The target '{targetName}' does not receive this message's source.";

            return ProblemResults.Invalid(targetName is null ? "message_id" : "target", detail);
        }

        try
        {
            await queue.EnqueueAsync(created, Activity.Current?.Id);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The new deliveries are committed and due now; the overdue sweep queues them.
            LogQueueUnavailable(loggers.CreateLogger(typeof(MessageEndpoints)), e, id);
        }

        return TypedResults.Accepted($"/api/log?message={id}", new SendView(id, [.. created.Select(Ids.Format)]));
    }

    [LoggerMessage(EventId = 2101, EventName = "ResendNotQueued", Level = LogLevel.Warning,
        Message = "Resend of message {MessageId} is stored but could not be queued; the overdue sweep will queue it")]
    private static partial void LogQueueUnavailable(ILogger logger, Exception exception, string messageId);
}
