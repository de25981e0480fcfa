using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// What targets do to the gateway: redirect, refuse, ask for patience, answer at length, need
/// credentials, hang, or fail on the network. Every attempt is logged with what happened and
/// retried under the target's policy (a one-second linear interval here).
/// </summary>
public sealed class TargetBehaviourTests(Gateway gateway) : IClassFixture<Gateway>
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task TargetBehaviour_RedirectIsNotFollowedButLoggedWithItsLocationAndRetried(int status)
    {
        await using var target = await RecordingTarget.StartAsync();
        var location = target.Url("/moved");
        target.Respond = (_, context) =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.Location = location;

            return Task.CompletedTask;
        };
        var route = await gateway.AddRouteAsync(target.Url("/hook"), retryInterval: "1s", maxAttempts: 2);

        var messageId = await PostAsync(route);

        var responses = await gateway.WaitForResponsesAsync(messageId, 2);
        Assert.Equal(["retrying", "failed"], responses.Select(record => record.GetProperty("status").GetString()));
        Assert.All(responses, record =>
        {
            Assert.Equal(status, record.GetProperty("response").GetProperty("status_code").GetInt32());
            Assert.Equal(location, record.GetProperty("response").GetProperty("location").GetString());
        });
        Assert.Equal(["/hook", "/hook"], target.Received.Select(request => request.RawTarget));
    }

    [Fact]
    public async Task TargetBehaviour_RefusingTargetGetsExactlyMaxAttemptsThenTheDeliveryFails()
    {
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = static (_, context) =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;

            return context.Response.WriteAsync("no");
        };
        var route = await gateway.AddRouteAsync(target.Url(), retryPolicy: "linear", retryInterval: "1s", maxAttempts: 3);

        var messageId = await PostAsync(route);

        var responses = await gateway.WaitForResponsesAsync(messageId, 3);
        Assert.Equal([1, 2, 3], responses.Select(record => record.GetProperty("attempt").GetInt32()));
        Assert.Equal(["retrying", "retrying", "failed"], responses.Select(record => record.GetProperty("status").GetString()));
        Assert.All(responses, record => Assert.Equal(403, record.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Equal(JsonValueKind.Null, responses[2].GetProperty("next_run_at").ValueKind);
        Assert.Equal(("failed", 3, (DateTime?)null), Assert.Single(await gateway.DeliveriesAsync(messageId)));

        // Three intervals more: a fourth attempt would have come by now.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(3, target.Received.Count);
        Assert.Equal(3, (await gateway.LogOfMessageAsync(messageId, "target.response")).Count);
    }

    [Fact]
    public async Task TargetBehaviour_RetryAfterIsHonouredAndAnUnreadableOneIgnored()
    {
        await using var target = await RecordingTarget.StartAsync();
        var times = new ConcurrentQueue<DateTimeOffset>();
        DateTimeOffset? promised = null;
        target.Respond = (request, context) =>
        {
            times.Enqueue(request.ReceivedAt);
            switch (times.Count)
            {
                case 1:
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    context.Response.Headers.RetryAfter = "2";
                    break;
                case 2:
                    var date = DateTimeOffset.UtcNow.AddSeconds(3);
                    promised = date.AddTicks(-(date.Ticks % TimeSpan.TicksPerSecond));
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.Response.Headers.RetryAfter = date.ToString("R", CultureInfo.InvariantCulture);
                    break;
                case 3:
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.Response.Headers.RetryAfter = "soon";
                    break;
            }

            return Task.CompletedTask;
        };
        var route = await gateway.AddRouteAsync(target.Url(), retryInterval: "1s", maxAttempts: 5);

        var messageId = await PostAsync(route);

        var responses = await gateway.WaitForResponsesAsync(messageId, 4, TimeSpan.FromSeconds(60));
        Assert.Equal(
            [429, 503, 503, 200],
            responses.Select(record => record.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Equal("succeeded", responses[3].GetProperty("status").GetString());
        var received = times.ToArray();
        Assert.True(
            received[1] - received[0] >= TimeSpan.FromSeconds(2),
            $"Retry-After: 2 was followed after {received[1] - received[0]}.");
        Assert.True(received[2] >= promised, $"The Retry-After date {promised:O} was followed at {received[2]:O}.");
        Assert.True(
            received[3] - received[2] >= TimeSpan.FromSeconds(1),
            $"After Retry-After: soon the policy's interval was not kept: {received[3] - received[2]}.");
    }

    [Fact]
    public async Task TargetBehaviour_RetryAfterBeyondTheCapWaitsOnlyUpToTheCap()
    {
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = static (_, context) =>
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "86400";

            return Task.CompletedTask;
        };
        var route = await gateway.AddRouteAsync(target.Url(), retryInterval: "1s", maxAttempts: 2);

        var messageId = await PostAsync(route);

        var response = Assert.Single(await gateway.WaitForResponsesAsync(messageId, 1));
        var created = ParseLogTime(response.GetProperty("created_at").GetString());
        var next = ParseLogTime(response.GetProperty("next_run_at").GetString());
        Assert.InRange(next - created, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task TargetBehaviour_LargeAnswerIsStoredCappedWithItsFullLengthAndNotRetried()
    {
        var answer = Encoding.ASCII.GetBytes(new string('x', 5 * MiB));
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = (_, context) =>
        {
            context.Response.ContentType = "text/plain";

            return context.Response.Body.WriteAsync(answer).AsTask();
        };
        var route = await gateway.AddRouteAsync(target.Url(), retryInterval: "1s");

        var messageId = await PostAsync(route);

        var response = Assert.Single(await gateway.WaitForResponsesAsync(messageId, 1));
        Assert.Equal("succeeded", response.GetProperty("status").GetString());
        Assert.Equal(200, response.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal(5 * MiB, response.GetProperty("response").GetProperty("body_size").GetInt64());
        Assert.Equal(new string('x', 64 * 1024), response.GetProperty("response").GetProperty("body").GetString());
        Assert.Equal(("succeeded", 1, (DateTime?)null), Assert.Single(await gateway.DeliveriesAsync(messageId)));
        Assert.Single(target.Received);
    }

    [Fact]
    public async Task TargetBehaviour_SuccessWhoseBodyNeverEndsStillCountsAsDelivered()
    {
        await using var target = await RecordingTarget.StartAsync();
        target.Respond = static async (_, context) =>
        {
            context.Response.ContentLength = 1000;
            await context.Response.WriteAsync("accepted");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        };
        var route = await gateway.AddRouteAsync(target.Url(), retryInterval: "1s", timeout: "2s");

        var messageId = await PostAsync(route);

        var response = Assert.Single(await gateway.WaitForResponsesAsync(messageId, 1));
        Assert.Equal("succeeded", response.GetProperty("status").GetString());
        Assert.Equal("accepted", response.GetProperty("response").GetProperty("body").GetString());
        Assert.Contains("still coming", response.GetProperty("response").GetProperty("body_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(("succeeded", 1, (DateTime?)null), Assert.Single(await gateway.DeliveriesAsync(messageId)));
    }

    [Fact]
    public async Task TargetBehaviour_CredentialsInTheUrlBecomeBasicAuthAndThePasswordShowsNowhere()
    {
        await using var target = await RecordingTarget.StartAsync();
        var name = "credentials-" + Guid.NewGuid().ToString("N")[..8];
        var addSource = await gateway.CliAsync("source", "add", "--name", name);
        var addTarget = await gateway.CliAsync(
            "target", "add", "--name", name, "--forward-name", name, "--url", $"http://user:p%40ss@127.0.0.1:{target.Port}/hook");
        Assert.True(addTarget.ExitCode == 0, addTarget.ToString());
        var sourceUrl = new Uri(addSource.StandardOutput.Trim());
        var sourceId = long.Parse(sourceUrl.Segments[^1], CultureInfo.InvariantCulture);
        var route = new SourceRoute(name, sourceId, sourceUrl.GetLeftPart(UriPartial.Path), sourceUrl.UserInfo);

        var messageId = await PostAsync(route);

        var delivered = Assert.Single(await target.WaitForAsync(1));
        var authorization = AuthenticationHeaderValue.Parse(delivered.Header("Authorization")!);
        Assert.Equal("Basic", authorization.Scheme);
        Assert.Equal("user:p@ss", Encoding.UTF8.GetString(Convert.FromBase64String(authorization.Parameter!)));
        Assert.Single(delivered.HeaderValues("Authorization"));

        var response = Assert.Single(await gateway.WaitForResponsesAsync(messageId, 1));
        Assert.Equal($"http://127.0.0.1:{target.Port}/hook", response.GetProperty("request").GetProperty("url").GetString());

        var show = await gateway.CliAsync("target", "show", route.Name);
        Assert.Contains($"http://user:***@127.0.0.1:{target.Port}/hook", show.StandardOutput, StringComparison.Ordinal);
        using var http = new HttpClient();
        var everywhere = new Dictionary<string, string>
        {
            ["log"] = (await gateway.CliAsync("log", "-n", "10000")).StandardOutput,
            ["log --pretty"] = (await gateway.CliAsync("log", "--message-id", messageId, "--pretty")).StandardOutput,
            ["target add"] = addTarget.ToString(),
            ["target show"] = show.ToString(),
            ["target list"] = (await gateway.CliAsync("target", "list")).ToString(),
            ["GET /api/targets"] = await http.GetStringAsync($"{gateway.ApiUrl}/api/targets"),
            ["api output"] = gateway.ApiOutput,
            ["worker output"] = gateway.WorkerOutput,
        };
        Assert.All(everywhere, place =>
        {
            Assert.DoesNotContain("p@ss", place.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("p%40ss", place.Value, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task TargetBehaviour_AttemptOverTheTimeoutIsRecordedAsTimeoutAndRetriedWithoutOverlap()
    {
        await using var target = await RecordingTarget.StartAsync();
        var held = new ConcurrentQueue<(DateTimeOffset Start, DateTimeOffset End)>();
        target.Respond = async (request, context) =>
        {
            if (target.Received.Count > 1)
            {
                await context.Response.WriteAsync("OK");

                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
            held.Enqueue((request.ReceivedAt, DateTimeOffset.UtcNow));
        };
        var route = await gateway.AddRouteAsync(target.Url(), timeout: "1s", retryInterval: "1s", maxAttempts: 3);

        var messageId = await PostAsync(route);

        var responses = await gateway.WaitForResponsesAsync(messageId, 2);
        var error = responses[0].GetProperty("error");
        Assert.Equal("timeout", error.GetProperty("kind").GetString());
        Assert.InRange(error.GetProperty("elapsed_ms").GetDouble(), 900, 20_000);
        Assert.Equal("retrying", responses[0].GetProperty("status").GetString());
        Assert.False(responses[0].TryGetProperty("response", out _));
        Assert.Equal("succeeded", responses[1].GetProperty("status").GetString());

        var first = Assert.Single(held);
        var second = target.Received[1];
        Assert.True(
            first.End <= second.ReceivedAt,
            $"The second attempt began at {second.ReceivedAt:O}, before the first ended at {first.End:O}.");
    }

    [Theory]
    [InlineData("connection_refused")]
    [InlineData("connection_reset")]
    [InlineData("dns")]
    [InlineData("tls")]
    public async Task TargetBehaviour_NetworkFailureIsRecordedWithItsKindAndRetried(string kind)
    {
        await using var recording = await RecordingTarget.StartAsync();
        await using var resetting = WireTarget.Resetting();
        var url = kind switch
        {
            "connection_refused" => $"http://127.0.0.1:{Ports.Free()}/hook",
            "connection_reset" => resetting.Url(),
            "dns" => "http://no-such-host.invalid/hook",
            _ => $"https://127.0.0.1:{recording.Port}/hook",
        };
        var route = await gateway.AddRouteAsync(url, retryInterval: "1s", maxAttempts: 2);

        var messageId = await PostAsync(route);

        var responses = await gateway.WaitForResponsesAsync(messageId, 2);
        Assert.Equal(["retrying", "failed"], responses.Select(record => record.GetProperty("status").GetString()));
        Assert.All(responses, record =>
        {
            Assert.Equal(kind, record.GetProperty("error").GetProperty("kind").GetString());
            Assert.NotEmpty(record.GetProperty("error").GetProperty("message").GetString()!);
            Assert.False(record.TryGetProperty("response", out _));
        });
    }

    private static DateTime ParseLogTime(string? text) =>
        DateTime.ParseExact(
            text!,
            "yyyy-MM-dd'T'HH:mm:ss'+0000'",
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Posts a small JSON message to the route's source and answers the stored message's id.</summary>
    private async Task<string> PostAsync(SourceRoute route)
    {
        using var http = new HttpClient();
        using var request = route.Request(HttpMethod.Post);
        request.Content = JsonContent.Create(new { @event = "ping" });
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        return await gateway.LastMessageIdAsync(route);
    }
}
