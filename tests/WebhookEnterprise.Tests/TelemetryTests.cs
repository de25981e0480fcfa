using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// One message is one trace from the ingress request to the target, across the api and the
/// worker, and the gateway's metrics count what happened. The api and worker run in this
/// process so that in-memory exporters can read what they report.
/// </summary>
public sealed class TelemetryTests(InProcessGateway gateway) : IClassFixture<InProcessGateway>
{
    private const string BodyMarker = "body-that-must-not-be-traced";
    private const string TargetPassword = "target-password-not-for-spans";
    private const string QueryToken = "query-token-not-for-spans";

    [Fact]
    public async Task RetriedMessage_IsOneTraceAcrossApiAndWorker()
    {
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = AnswerInTurn(StatusCodes.Status500InternalServerError, StatusCodes.Status200OK);
        var route = await gateway.AddRouteAsync("traced", TargetUrlWithPassword(target));

        await SendAsync(route, Encoding.UTF8.GetBytes($"{{\"note\": \"{BodyMarker}\"}}"), $"?token={QueryToken}");
        var received = await target.WaitForAsync(2);
        var messageId = received[0].Header("X-Webhook-Message-Id")!;
        var deliveries = await DeliverSpansAsync(messageId, 2);

        var spans = gateway.Spans;
        var ingress = spans.Single(span => span.Kind == ActivityKind.Server && Tag(span, "webhook.message.id") == messageId);
        var trace = spans.Where(span => span.TraceId == ingress.TraceId).ToList();
        var enqueue = trace.Single(span => span.OperationName == "webhook.enqueue");
        var (first, second) = (deliveries[0], deliveries[1]);

        Assert.Equal(default, ingress.ParentSpanId);
        Assert.Equal(route.SourceId.ToString(System.Globalization.CultureInfo.InvariantCulture), Tag(ingress, "webhook.source.id"));
        Assert.Equal("accepted", Tag(ingress, "webhook.ingress.outcome"));
        Assert.Contains(trace, span => span.Source.Name == "Npgsql" && span.ParentSpanId == ingress.SpanId && Statement(span).Contains("INSERT INTO messages", StringComparison.Ordinal));
        Assert.Equal(ingress.SpanId, enqueue.ParentSpanId);
        Assert.Equal(ActivityKind.Producer, enqueue.Kind);

        // The first attempt continues the context its stream entry carried; the retry, which
        // the promotion script moved without one, continues the message's stored context.
        Assert.All(deliveries, span => Assert.Equal(ingress.TraceId, span.TraceId));
        Assert.Equal(enqueue.SpanId, first.ParentSpanId);
        Assert.Equal(ingress.SpanId, second.ParentSpanId);
        Assert.All(deliveries, span => Assert.Empty(span.Links));
        Assert.All(deliveries, span => Assert.Equal(ActivityKind.Consumer, span.Kind));

        foreach (var (span, attempt) in new[] { (first, "1"), (second, "2") })
        {
            Assert.Equal(Tag(ingress, "webhook.source.id"), Tag(span, "webhook.source.id"));
            Assert.Equal(messageId, Tag(span, "webhook.message.id"));
            Assert.Equal(received[0].Header("X-Webhook-Delivery-Id"), Tag(span, "webhook.delivery.id"));
            Assert.Equal(route.TargetId, Tag(span, "webhook.target.id"));
            Assert.Equal(route.TargetName, Tag(span, "webhook.target.name"));
            Assert.Equal(attempt, Tag(span, "webhook.attempt"));
            Assert.Contains(trace, child => child.Source.Name == "Npgsql" && child.ParentSpanId == span.SpanId);
        }

        Assert.Equal("retrying", Tag(first, "webhook.outcome"));
        Assert.Equal("500", Tag(first, "error.type"));
        Assert.Equal(ActivityStatusCode.Error, first.Status);
        Assert.NotNull(Tag(first, "webhook.next_run_at"));
        Assert.Equal("succeeded", Tag(second, "webhook.outcome"));
        Assert.Null(Tag(second, "error.type"));
        Assert.NotEqual(ActivityStatusCode.Error, second.Status);

        var calls = trace.Where(span => span.Source.Name == "System.Net.Http" && span.Kind == ActivityKind.Client).ToList();
        Assert.Equal("500", Tag(Assert.Single(calls, call => call.ParentSpanId == first.SpanId), "http.response.status_code"));
        Assert.Equal("200", Tag(Assert.Single(calls, call => call.ParentSpanId == second.SpanId), "http.response.status_code"));

        var secrets = new[] { route.Secret, TargetPassword, InProcessGateway.PostgresPassword, QueryToken, BodyMarker };
        var values = trace.SelectMany(span => span.TagObjects.Select(tag => Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
        Assert.DoesNotContain(values, value => secrets.Any(secret => value.Contains(secret, StringComparison.Ordinal)));

        // The worker's log of each attempt is written inside that attempt's span.
        var attemptLogs = gateway.WorkerLogs
            .Where(log => log.EventId.Name == "AttemptFinished" && deliveries.Any(span => span.SpanId == log.SpanId))
            .ToList();
        Assert.Equal(2, attemptLogs.Count);
        Assert.All(attemptLogs, log => Assert.Equal(ingress.TraceId, log.TraceId));
    }

    [Fact]
    public async Task Resend_IsATraceOfItsOwnLinkedToTheMessagesTrace()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync("resent", target.Url());

        await SendAsync(route, Encoding.UTF8.GetBytes("{}"));
        var messageId = (await target.WaitForAsync(1))[0].Header("X-Webhook-Message-Id")!;
        await DeliverSpansAsync(messageId, 1);

        using var http = InProcessGateway.UntracedClient();
        using var resend = await http.PostAsync($"{gateway.ApiUrl}/api/messages/{messageId}/send", JsonContent.Create(new { }));
        Assert.Equal(HttpStatusCode.Accepted, resend.StatusCode);
        await target.WaitForAsync(2);
        var deliveries = await DeliverSpansAsync(messageId, 2);

        var spans = gateway.Spans;
        var ingress = spans.Single(span => span.Kind == ActivityKind.Server && Tag(span, "webhook.message.id") == messageId);
        var original = Assert.Single(deliveries, span => span.TraceId == ingress.TraceId);
        var resent = Assert.Single(deliveries, span => span.TraceId != ingress.TraceId);
        var resendEnqueue = spans.Single(span => span.SpanId == resent.ParentSpanId);
        var resendRequest = spans.Single(span => span.SpanId == resendEnqueue.ParentSpanId);

        Assert.NotEqual(original.SpanId, resent.SpanId);
        Assert.Equal("webhook.enqueue", resendEnqueue.OperationName);
        Assert.Equal(ActivityKind.Server, resendRequest.Kind);
        Assert.Equal("/api/messages/{id}/send", Tag(resendRequest, "http.route"));
        var link = Assert.Single(resent.Links);
        Assert.Equal(ingress.TraceId, link.Context.TraceId);
        Assert.Equal(ingress.SpanId, link.Context.SpanId);
    }

    [Fact]
    public async Task ScriptedRun_RecordsTheGatewayMetrics()
    {
        var firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await RecordingTarget.StartAsync();
        var answer = AnswerInTurn(StatusCodes.Status500InternalServerError, StatusCodes.Status200OK);
        target.Respond = async (request, context) =>
        {
            if (request.Header("X-Webhook-Attempt") == "1")
            {
                await firstAnswer.Task;
            }

            await answer(request, context);
        };
        var route = await gateway.AddRouteAsync("measured", target.Url());
        var before = gateway.CollectMetrics();

        var (url, _) = route.Ingress();
        using var http = InProcessGateway.UntracedClient();
        using (var wrongCredentials = await http.PostAsync(url, new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongCredentials.StatusCode);
        }

        using (var unknownSource = await http.PostAsync($"{gateway.ApiUrl}/987654321", new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownSource.StatusCode);
        }

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await SendAsync(route, new byte[InProcessGateway.MaxBodyBytes + 1]));
        await SendAsync(route, Encoding.UTF8.GetBytes("{}"));

        // While the target holds the first attempt its job is read and not acknowledged; once it
        // answers 500 the delivery waits a second in the retry set.
        await target.WaitForAsync(1);
        await Eventually.TrueAsync(() => Task.FromResult(Gauge("webhook.stream.pending") == 1), "one pending stream entry");
        Assert.Equal(0, Gauge("webhook.retry.backlog"));
        firstAnswer.SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(Gauge("webhook.retry.backlog") == 1), "one delivery in the retry backlog");
        await target.WaitForAsync(2);
        await Eventually.TrueAsync(
            () => Task.FromResult(Count(gateway.CollectMetrics(), "webhook.delivery.attempts", ("webhook.target.name", route.TargetName), ("outcome", "succeeded")) == 1),
            "the successful attempt to be counted");
        await Eventually.TrueAsync(
            () => Task.FromResult(Gauge("webhook.retry.backlog") == 0 && Gauge("webhook.stream.pending") == 0),
            "empty queues");

        var after = gateway.CollectMetrics();
        var source = ("webhook.source.id", (object)route.SourceId);
        var targetName = ("webhook.target.name", (object)route.TargetName);
        long Delta(string name, params (string, object)[] tags) => Count(after, name, tags) - Count(before, name, tags);

        Assert.Equal(1, Delta("webhook.messages.received", source, ("outcome", "accepted")));
        Assert.Equal(1, Delta("webhook.messages.received", source, ("outcome", "unauthorized")));
        Assert.Equal(1, Delta("webhook.messages.received", source, ("outcome", "too_large")));
        Assert.Equal(1, Delta("webhook.messages.received", ("outcome", "unknown_source")));
        Assert.DoesNotContain(Points(after, "webhook.messages.received"), point => HasTag(point, "outcome", "unknown_source") && Tags(point).ContainsKey("webhook.source.id"));
        Assert.Equal(1, Delta("webhook.delivery.attempts", targetName, ("outcome", "retrying")));
        Assert.Equal(1, Delta("webhook.delivery.attempts", targetName, ("outcome", "succeeded")));
        Assert.Equal(1, Delta("webhook.delivery.attempt.duration", targetName, ("outcome", "retrying")));
        Assert.Equal(1, Delta("webhook.delivery.attempt.duration", targetName, ("outcome", "succeeded")));

        var latency = Assert.Single(Points(after, "webhook.delivery.latency"), point => HasTag(point, "webhook.target.name", route.TargetName));
        Assert.Equal(1, latency.GetHistogramCount());
        Assert.InRange(latency.GetHistogramSum(), 1.0, 30.0);

        Assert.Equal("{message}", after["webhook.messages.received"].Unit);
        Assert.Equal("{attempt}", after["webhook.delivery.attempts"].Unit);
        Assert.Equal("s", after["webhook.delivery.attempt.duration"].Unit);
        Assert.Equal("s", after["webhook.delivery.latency"].Unit);
        Assert.Equal("{delivery}", after["webhook.retry.backlog"].Unit);
        Assert.Equal("{entry}", after["webhook.stream.pending"].Unit);
    }

    /// <summary>Answers the first request with the first status, the next with the next, and so on; the last repeats.</summary>
    private static Func<ReceivedRequest, HttpContext, Task> AnswerInTurn(params int[] statuses)
    {
        var answered = 0;

        return (_, context) =>
        {
            var turn = Math.Min(Interlocked.Increment(ref answered), statuses.Length) - 1;
            context.Response.StatusCode = statuses[turn];

            return context.Response.WriteAsync("answer");
        };
    }

    private static string TargetUrlWithPassword(RecordingTarget target) =>
        $"http://gateway:{TargetPassword}@127.0.0.1:{target.Port}/webhook";

    private static async Task<HttpStatusCode> SendAsync(Route route, byte[] body, string query = "")
    {
        var (url, credentials) = route.Ingress();
        using var http = InProcessGateway.UntracedClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url + query) { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = credentials;
        request.Content.Headers.ContentType = new("application/json");
        using var response = await http.SendAsync(request);

        return response.StatusCode;
    }

    /// <summary>The <c>webhook.deliver</c> spans of a message, by attempt, once <paramref name="count"/> have ended.</summary>
    private async Task<IReadOnlyList<Activity>> DeliverSpansAsync(string messageId, int count) =>
        await Eventually.GetAsync<IReadOnlyList<Activity>>(
            () =>
            {
                var found = gateway.Spans
                    .Where(span => span.OperationName == "webhook.deliver" && Tag(span, "webhook.message.id") == messageId)
                    .OrderBy(span => span.StartTimeUtc)
                    .ToList();

                return Task.FromResult<IReadOnlyList<Activity>?>(found.Count >= count ? found : null);
            },
            $"{count} webhook.deliver spans of message {messageId}");

    private static string? Tag(Activity span, string name) =>
        span.TagObjects.FirstOrDefault(tag => tag.Key == name).Value is { } value
            ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static string Statement(Activity span) => Tag(span, "db.query.text") ?? Tag(span, "db.statement") ?? "";

    private long Gauge(string name) =>
        gateway.CollectMetrics().TryGetValue(name, out var metric) && metric.MetricPoints.Count > 0
            ? metric.MetricPoints[^1].GetGaugeLastValueLong()
            : -1;

    private static List<MetricPoint> Points(IReadOnlyDictionary<string, MetricSnapshot> metrics, string name) =>
        metrics.TryGetValue(name, out var metric) ? [.. metric.MetricPoints] : [];

    /// <summary>The count of the series with exactly these tags: a counter's sum or a histogram's count.</summary>
    private static long Count(IReadOnlyDictionary<string, MetricSnapshot> metrics, string name, params (string Key, object Value)[] tags)
    {
        if (!metrics.TryGetValue(name, out var metric))
        {
            return 0;
        }

        var point = metric.MetricPoints.Where(point => Tags(point).Count == tags.Length && tags.All(tag => HasTag(point, tag.Key, tag.Value)));

        return metric.MetricType == MetricType.Histogram
            ? point.Sum(series => series.GetHistogramCount())
            : point.Sum(series => series.GetSumLong());
    }

    private static bool HasTag(MetricPoint point, string key, object value) =>
        Tags(point).TryGetValue(key, out var actual) && Equals(actual, value);

    private static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }
}
