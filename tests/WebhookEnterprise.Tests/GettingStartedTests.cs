using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// The getting-started guide, step by step, with the real command line against a real api
/// and worker, and a loopback target in place of the guide's Flask app.
/// </summary>
public sealed partial class GettingStartedTests(Gateway gateway) : IClassFixture<Gateway>
{
    private const string MessagePayload = """{"data": {}}""";

    [Fact]
    public async Task GettingStarted_GuideStepsWorkAsShown()
    {
        await using var target = await RecordingTarget.StartAsync();
        using var http = new HttpClient();

        // Start an API process and a worker: /health answers as the guide shows.
        var health = await Eventually.GetAsync(
            async () =>
            {
                var text = await http.GetStringAsync($"{gateway.ApiUrl}/health");

                return text.Contains("\"running\"", StringComparison.Ordinal) ? text : null;
            },
            "the api to report running once the worker is seen");
        Assert.Equal("""{"status": "running", "issues": []}""", health);

        // Add a source: only its URL is printed.
        var add = await gateway.CliAsync(
            "source", "add", "--name=Curl Example", "--status-code=200",
            "--content-type=application/json", "--content={\"message\": \"ok\"}");
        Assert.True(add.ExitCode == 0, add.ToString());
        var url = add.StandardOutput.Trim();
        Assert.Matches(SourceUrl(), url);
        Assert.Equal("", add.StandardError);

        // Add a target forwarding from that source.
        var addTarget = await gateway.CliAsync("target", "add", "--name=Flask App", "--forward-name", "Curl Example", $"--url={target.Url()}");
        Assert.True(addTarget.ExitCode == 0, addTarget.ToString());

        // Testing proxy: the sender gets the canned answer at once.
        using (var response = await PostAsCurlAsync(http, url, MessagePayload))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""{"message": "ok"}""", await response.Content.ReadAsStringAsync());
        }

        var delivered = (await target.WaitForAsync(1))[0];
        Assert.Equal("POST", delivered.Method);
        Assert.Equal("/webhook", delivered.RawTarget);
        Assert.Equal(MessagePayload, Encoding.UTF8.GetString(delivered.Body));
        Assert.Equal("application/json", delivered.Header("Content-Type"));
        Assert.Equal("curl/7.88.1", delivered.Header("User-Agent"));
        var messageId = delivered.Header("X-Webhook-Message-Id");
        Assert.Matches("^[0-9a-f]{32}$", messageId);

        // The message record.
        var messageLog = await gateway.CliAsync("log", "--type", "message", "-n", "1", "--pretty");
        Assert.True(messageLog.ExitCode == 0, messageLog.ToString());
        Assert.Contains("\n    \"type\": \"message\"", messageLog.StandardOutput, StringComparison.Ordinal);
        var message = Assert.Single(JsonRecords.Parse(messageLog.StandardOutput));
        Assert.Equal(messageId, message.GetProperty("id").GetString());
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("curl/7.88.1", message.GetProperty("user-agent").GetString());
        Assert.Equal(JsonValueKind.Object, message.GetProperty("payload").GetProperty("data").ValueKind);
        Assert.Equal("Curl Example", message.GetProperty("source").GetProperty("name").GetString());
        Assert.Equal("POST", message.GetProperty("method").GetString());
        Assert.Equal(MessagePayload.Length, message.GetProperty("size").GetInt32());
        Assert.Matches(LogTime(), message.GetProperty("created_at").GetString());

        // The target.response record, once the worker has committed it.
        var response200 = await LastTargetResponseAsync(record => record.GetProperty("source").GetProperty("id").GetString() == messageId);
        Assert.Equal(200, response200.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("succeeded", response200.GetProperty("status").GetString());
        Assert.Equal("Flask App", response200.GetProperty("target").GetProperty("name").GetString());
        Assert.Equal(1, response200.GetProperty("attempt").GetInt32());
        Assert.Equal(JsonValueKind.Null, response200.GetProperty("next_run_at").ValueKind);
        Assert.Matches(LogTime(), response200.GetProperty("created_at").GetString());

        // Retry: the target goes into maintenance; the policy here retries every second, three times in all.
        target.Respond = static (_, context) =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;

            return context.Response.WriteAsync("MAINTENANCE");
        };
        var update = await gateway.CliAsync("target", "update", "Flask App", "--retry-interval", "1s", "--max-attempts", "3");
        Assert.True(update.ExitCode == 0, update.ToString());

        // Following, as the guide does: the last records first, then new ones as they come.
        await using var follower = ChildProcess.Start(
            "dotnet",
            [GatewayPaths.CliAssembly, "log", "-f", "--type", "target.response", "--pretty"],
            new Dictionary<string, string?> { ["WEBHOOK_API_URL"] = gateway.ApiUrl });
        await Eventually.TrueAsync(
            () => Task.FromResult(JsonRecords.Parse(follower.Output).Count == 1),
            $"log -f to print the last record:\n{follower.Output}");

        using (var response = await PostAsCurlAsync(http, url, MessagePayload))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var retried = await target.WaitForAsync(4);
        var failingId = retried[1].Header("X-Webhook-Message-Id");
        Assert.NotEqual(messageId, failingId);

        var followed = await Eventually.GetAsync(
            () =>
            {
                var records = JsonRecords.Parse(follower.Output);

                return Task.FromResult(records.Count >= 4 ? records.Skip(1).ToList() : null);
            },
            "three more target.response records from log -f");
        Assert.All(followed, record =>
        {
            Assert.Equal(failingId, record.GetProperty("source").GetProperty("id").GetString());
            Assert.Equal(500, record.GetProperty("response").GetProperty("status_code").GetInt32());
        });
        Assert.Equal(["retrying", "retrying", "failed"], followed.Select(record => record.GetProperty("status").GetString()));
        Assert.Equal([1, 2, 3], followed.Select(record => record.GetProperty("attempt").GetInt32()));
        Assert.Matches(LogTime(), followed[0].GetProperty("next_run_at").GetString());
        Assert.Equal(JsonValueKind.Null, followed[2].GetProperty("next_run_at").ValueKind);

        // It stops at last: Ctrl-C ends the follower cleanly, and no fourth attempt comes.
        Assert.Equal(0, await follower.InterruptAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, target.Received.Count(request => request.Header("X-Webhook-Message-Id") == failingId));

        // Resend once the target is back.
        target.Respond = static (_, context) => context.Response.WriteAsync("OK");
        var send = await gateway.CliAsync("send", "--message-id", failingId!);
        Assert.True(send.ExitCode == 0, send.ToString());

        var resent = await LastTargetResponseAsync(record =>
            record.GetProperty("source").GetProperty("id").GetString() == failingId
            && record.GetProperty("response").GetProperty("status_code").GetInt32() == 200);
        Assert.Equal("succeeded", resent.GetProperty("status").GetString());
        Assert.Equal(1, resent.GetProperty("attempt").GetInt32());
        Assert.Equal(MessagePayload, Encoding.UTF8.GetString(target.Received[^1].Body));
    }

    private async Task<JsonElement> LastTargetResponseAsync(Func<JsonElement, bool> matches)
    {
        var found = await Eventually.GetAsync<object>(
            async () =>
            {
                var log = await gateway.CliAsync("log", "--type", "target.response", "-n", "1", "--pretty");
                var records = JsonRecords.Parse(log.StandardOutput);

                return records.Count == 1 && matches(records[0]) ? records[0] : null;
            },
            "the expected target.response record");

        return (JsonElement)found;
    }

    /// <summary>Posts as curl does with credentials in the URL: a Basic header, JSON body.</summary>
    private static Task<HttpResponseMessage> PostAsCurlAsync(HttpClient http, string url, string body)
    {
        var uri = new Uri(url);
        var request = new HttpRequestMessage(HttpMethod.Post, uri.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped))
        {
            Content = new StringContent(body, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(uri.UserInfo)));
        request.Headers.UserAgent.ParseAdd("curl/7.88.1");

        return http.SendAsync(request);
    }

    [GeneratedRegex("^http://[0-9a-f]{32}:[0-9a-f]{32}@127\\.0\\.0\\.1:[0-9]+/[0-9]+$")]
    private static partial Regex SourceUrl();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+0000$")]
    private static partial Regex LogTime();
}
