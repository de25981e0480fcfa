using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// What senders send reaches the target as they sent it: body bytes, content type, headers,
/// query, method, through the real api and worker to a target on loopback. "Byte-identical"
/// means the target received exactly the bytes sent and Postgres holds exactly those bytes.
/// </summary>
public sealed class ForwardingTests(Gateway gateway) : IClassFixture<Gateway>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Forwarding_FormBodyArrivesByteIdenticalAndIsLoggedAsText()
    {
        const string form = "ToCountry=US&Body=Hi+there%21&From=%2B15550100000&MessageSid=SM000";
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (delivered, messageId) = await SendAsync(route, target, Body(form, "application/x-www-form-urlencoded"));

        await AssertByteIdenticalAsync(Encoding.UTF8.GetBytes(form), delivered, messageId);
        Assert.Equal("application/x-www-form-urlencoded", delivered.Header("Content-Type"));
        var message = Assert.Single(await CliLogAsync(messageId, "message"));
        Assert.Equal(form, message.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Forwarding_PrettyJsonWithEscapesKeepsItsBytesSoASignatureStillVerifies()
    {
        const string json = "{\n  \"url\": \"https:\\/\\/shop.example\\/p\",\n  \"note\": \"a \\u0026 b\"\n}";
        var secret = "signing-secret"u8.ToArray();
        var bytes = Encoding.UTF8.GetBytes(json);
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var (delivered, messageId) = await SendAsync(route, target, content, request =>
            request.Headers.Add("X-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, bytes))));

        await AssertByteIdenticalAsync(bytes, delivered, messageId);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, delivered.Body));
        Assert.Equal(expected, delivered.Header("X-Signature-256"));
    }

    [Fact]
    public async Task Forwarding_ContentLengthMatchesTheBodyAsSent()
    {
        const string body = "{ \"ok\": true }";
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (delivered, messageId) = await SendAsync(route, target, Body(body, "application/json"));

        Assert.Equal(14, delivered.Body.Length);
        Assert.Equal("14", delivered.Header("Content-Length"));
        await AssertByteIdenticalAsync(Encoding.UTF8.GetBytes(body), delivered, messageId);
    }

    [Fact]
    public async Task Forwarding_Utf8BeyondLatin1ArrivesByteIdenticalAndIsLoggedReadably()
    {
        const string json = """{"title":"Acme™ launch 🚀","body":"naïve café"}""";
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (delivered, messageId) = await SendAsync(route, target, Body(json, "application/json; charset=utf-8"));

        await AssertByteIdenticalAsync(Encoding.UTF8.GetBytes(json), delivered, messageId);
        var log = await gateway.CliAsync("log", "--message-id", messageId, "--type", "message");
        Assert.Contains("\"title\":\"Acme™ launch 🚀\"", log.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"body\":\"naïve café\"", log.StandardOutput, StringComparison.Ordinal);
        var pretty = await gateway.CliAsync("log", "--message-id", messageId, "--type", "message", "--pretty");
        Assert.Contains("\"title\": \"Acme™ launch 🚀\"", pretty.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("", log.StandardError + pretty.StandardError);
    }

    [Fact]
    public async Task Forwarding_InvalidJsonUnderAJsonContentTypeIsAcceptedForwardedAndLoggedAsText()
    {
        const string notJson = "{ “service” : \"labs/42\" }";
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (delivered, messageId) = await SendAsync(route, target, Body(notJson, "application/json"));

        await AssertByteIdenticalAsync(Encoding.UTF8.GetBytes(notJson), delivered, messageId);
        var message = Assert.Single(await CliLogAsync(messageId, "message"));
        Assert.Equal(JsonValueKind.String, message.GetProperty("payload").ValueKind);
        Assert.Equal(notJson, message.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Forwarding_ContentTypeIsForwardedAsSentAndNotInventedWhenAbsent()
    {
        const string xml = """<?xml version="1.0"?><notification><id>42</id></notification>""";
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (typed, typedId) = await SendAsync(route, target, Body(xml, "application/xml"));
        var (untyped, untypedId) = await SendAsync(route, target, new ByteArrayContent(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal("application/xml", typed.Header("Content-Type"));
        await AssertByteIdenticalAsync(Encoding.UTF8.GetBytes(xml), typed, typedId);
        Assert.Null(untyped.Header("Content-Type"));
        await AssertByteIdenticalAsync(Encoding.UTF8.GetBytes(xml), untyped, untypedId);
        var message = Assert.Single(await gateway.LogOfMessageAsync(untypedId, "message"));
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content-type").ValueKind);
    }

    [Fact]
    public async Task Forwarding_GzipBodyIsStoredAndForwardedCompressedWithItsEncoding()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write("""{"kind":"sample"}"""u8);
        }

        var bytes = compressed.ToArray();
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        var (delivered, messageId) = await SendAsync(route, target, content);

        await AssertByteIdenticalAsync(bytes, delivered, messageId);
        Assert.Equal("gzip", delivered.Header("Content-Encoding"));
        var message = Assert.Single(await gateway.LogOfMessageAsync(messageId, "message"));
        Assert.Equal("base64", message.GetProperty("payload_encoding").GetString());
        Assert.Equal(bytes, message.GetProperty("payload").GetBytesFromBase64());
    }

    [Theory]
    [InlineData(9 * 1024, false)]
    [InlineData(2 * MiB, false)]
    [InlineData(2 * MiB, true)]
    [InlineData(20 * MiB, false)]
    public async Task Forwarding_LargeBinaryBodiesArriveByteIdentical(int size, bool chunked)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        HttpContent content = chunked ? new StreamContent(new UnseekableStream(bytes)) : new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var (delivered, messageId) = await SendAsync(route, target, content);

        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(delivered.Body));
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await gateway.StoredBodyAsync(messageId)));
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), delivered.Header("Content-Length"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forwarding_BodyOverTheLimitIsRefusedWith413AndTheRefusalIsLogged(bool chunked)
    {
        var bytes = new byte[30 * MiB];
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        using var http = new HttpClient();

        using var request = route.Request(HttpMethod.Post);
        request.Content = chunked ? new StreamContent(new UnseekableStream(bytes)) : new ByteArrayContent(bytes);
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Eventually.TrueAsync(
            () => Task.FromResult(gateway.ApiOutput.Contains($"Refused a message from source {route.SourceId}", StringComparison.Ordinal)),
            $"the api to log the refusal:\n{gateway.ApiOutput}");
        var log = await gateway.CliAsync("log", "--source", route.Name, "--type", "message");
        Assert.Equal("", log.StandardOutput);
        Assert.Empty(target.Received);
    }

    [Fact]
    public async Task Forwarding_HeaderSpellingIsKept()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (delivered, _) = await SendAsync(route, target, Body("{}", "application/json"), request =>
            request.Headers.TryAddWithoutValidation("X-GitHub-Event", "push"));

        var header = Assert.Single(
            delivered.Headers,
            header => string.Equals(header.Key, "X-GitHub-Event", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("X-GitHub-Event", header.Key);
        Assert.Equal("push", header.Value);
    }

    [Fact]
    public async Task Forwarding_RepeatedHeaderArrivesAsSeparateValuesInOrder()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var status = await route.SendRawAsync("POST", ["Content-Type: application/json", "X-Tag: a", "X-Tag: b"], "{}"u8.ToArray());

        Assert.Equal(200, status);
        var delivered = Assert.Single(await target.WaitForAsync(1));
        Assert.Equal(["a", "b"], delivered.HeaderValues("X-Tag"));
        var messageId = delivered.Header("X-Webhook-Message-Id")!;
        var message = Assert.Single(await gateway.LogOfMessageAsync(messageId, "message"));
        Assert.Equal(["a", "b"], message.GetProperty("headers").GetProperty("X-Tag").EnumerateArray().Select(value => value.GetString()));
    }

    [Fact]
    public async Task Forwarding_HeaderLinesReachTheWireWithTheirSpellingOrderAndRepeats()
    {
        await using var target = WireTarget.Answering();
        var route = await gateway.AddRouteAsync(target.Url());

        string[] sent =
        [
            "content-type: application/json",
            "X-GitHub-Event: push",
            "X-Tag: a",
            "User-agent: GitHub-Hookshot/abc123",
            "X-Tag: b",
            "X-Title: Acme™ café 🚀",
            "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ];
        var status = await route.SendRawAsync("POST", sent, "{}"u8.ToArray());

        Assert.Equal(200, status);
        var delivered = Assert.Single(await target.WaitForAsync(1));
        var names = sent.Select(line => line.Split(':')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(sent, delivered.HeaderLines.Where(line => names.Contains(line.Split(':')[0])));
        var added = delivered.HeaderLines.Where(line => !names.Contains(line.Split(':')[0])).Select(line => line.Split(':')[0]);
        Assert.Equal(
            [
                "Host", "X-Webhook-Message-Id", "X-Webhook-Delivery-Id", "X-Webhook-Attempt",
                "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Content-Length",
            ],
            added);
        Assert.Contains("Content-Length: 2", delivered.HeaderLines);
        Assert.Contains("X-Webhook-Attempt: 1", delivered.HeaderLines);
        Assert.Contains("X-Forwarded-For: 127.0.0.1", delivered.HeaderLines);
        Assert.Equal("{}"u8.ToArray(), delivered.Body);

        var messageId = delivered.HeaderLines.Single(line => line.StartsWith("X-Webhook-Message-Id: ", StringComparison.Ordinal))[22..];
        var log = await gateway.CliAsync("log", "--message-id", messageId, "--type", "message");
        Assert.Contains("\"X-Title\":\"Acme™ café 🚀\"", log.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarding_HeaderLinesStayExactForEveryRequestOnAKeptAliveConnection()
    {
        await using var target = WireTarget.Answering();
        var route = await gateway.AddRouteAsync(target.Url());
        var authorization = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(route.Credentials));
        var path = new Uri(route.Url).AbsolutePath;

        // Sent back to back before any answer: a chunked body with an extension and a
        // trailer, then a body with a length, then none.
        var requests = Encoding.UTF8.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{authorization}\r\nX-Order: 1\r\n"
            + "content-TYPE: text/plain\r\nX-Order: 1b\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\nHello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
            + $"PUT {path}/second HTTP/1.1\r\nX-Order: 2\r\nHost: 127.0.0.1\r\n{authorization}\r\n"
            + "Content-Length: 3\r\nx-order: 2b\r\n\r\nabc"
            + $"DELETE {path}/third HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Order: 3\r\n{authorization}\r\n"
            + "Connection: close\r\n\r\n");
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, gateway.ApiPort);
            await client.GetStream().WriteAsync(requests);
            using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
            var answers = await reader.ReadToEndAsync();
            Assert.Equal(3, answers.Split("HTTP/1.1 200").Length - 1);
        }

        var delivered = (await target.WaitForAsync(3)).OrderBy(request => request.RequestLine, StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["DELETE /webhook/third HTTP/1.1", "POST /webhook HTTP/1.1", "PUT /webhook/second HTTP/1.1"],
            delivered.Select(request => request.RequestLine));
        Assert.Equal(["X-Order: 3"], OrderLines(delivered[0]));
        Assert.Equal(["X-Order: 1", "content-TYPE: text/plain", "X-Order: 1b"], OrderLines(delivered[1]));
        Assert.Equal("Hello, world"u8.ToArray(), delivered[1].Body);
        Assert.Equal(["X-Order: 2", "x-order: 2b"], OrderLines(delivered[2]));
        Assert.Equal("abc"u8.ToArray(), delivered[2].Body);
        Assert.All(delivered, request =>
            Assert.DoesNotContain(request.HeaderLines, line => line.StartsWith("traceparent", StringComparison.OrdinalIgnoreCase)));

        static IEnumerable<string> OrderLines(WireRequest request) =>
            request.HeaderLines.Where(line =>
                line.StartsWith("X-Order", StringComparison.OrdinalIgnoreCase)
                || line.StartsWith("content-type", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Forwarding_QueryIsAppendedToTheTargetsOwnWithItsEncodingUntouched()
    {
        const string query = "?uuid=c12b5bea&url=git@git.example:grp/repo.git&x=%2B1";
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url("/hooks/in?token=a%2Fb"));
        var plain = await gateway.AddRouteAsync(target.Url("/hooks/plain"));

        var (withOwn, messageId) = await SendAsync(route, target, Body("{}", "application/json"), pathAndQuery: query);
        var (withoutOwn, _) = await SendAsync(plain, target, Body("{}", "application/json"), pathAndQuery: query);

        Assert.Equal("/hooks/in?token=a%2Fb&uuid=c12b5bea&url=git@git.example:grp/repo.git&x=%2B1", withOwn.RawTarget);
        Assert.Equal("/hooks/plain" + query, withoutOwn.RawTarget);
        var message = Assert.Single(await gateway.LogOfMessageAsync(messageId, "message"));
        Assert.Equal(query[1..], message.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Forwarding_TargetPathIsKeptExactlyWithItsTrailingSlash()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url("/hooks/in/"));

        var (bare, _) = await SendAsync(route, target, Body("{}", "application/json"));
        var (subPath, _) = await SendAsync(route, target, Body("{}", "application/json"), pathAndQuery: "/github/push%20event");

        Assert.Equal("/hooks/in/", bare.RawTarget);
        Assert.Equal("/hooks/in/github/push%20event", subPath.RawTarget);
    }

    [Fact]
    public async Task Forwarding_SubPathIsWhatFollowsTheSourceIdHoweverTheRequestTargetIsWritten()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url("/hooks"));

        var absolute = await route.SendRawAsync("POST", [], "{}"u8.ToArray(), requestTarget: $"{route.Url}/github?x=%2B1");
        var zeroPadded = await route.SendRawAsync("POST", [], "{}"u8.ToArray(), requestTarget: $"/0{route.SourceId}/padded");

        Assert.Equal([200, 200], [absolute, zeroPadded]);
        Assert.Equal(["/hooks/github?x=%2B1", "/hooks/padded"], (await target.WaitForAsync(2)).Select(request => request.RawTarget).Order());
    }

    [Theory]
    [InlineData("PUT", "", true)]
    [InlineData("PATCH", "", true)]
    [InlineData("DELETE", "", false)]
    [InlineData("GET", "?challenge=abc123", false)]
    public async Task Forwarding_MethodIsKeptAndLogged(string method, string query, bool withBody)
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var body = withBody ? Body("{\"a\":1}", "application/json") : null;
        var (delivered, messageId) = await SendAsync(route, target, body, pathAndQuery: query, method: new HttpMethod(method));

        Assert.Equal(method, delivered.Method);
        Assert.Equal("/webhook" + query, delivered.RawTarget);
        Assert.Equal(withBody ? "{\"a\":1}"u8.ToArray() : [], delivered.Body);
        var message = Assert.Single(await CliLogAsync(messageId, "message"));
        Assert.Equal(method, message.GetProperty("method").GetString());
        await gateway.WaitForResponsesAsync(messageId, 1);
        var response = Assert.Single(await CliLogAsync(messageId, "target.response"));
        Assert.Equal(method, response.GetProperty("request").GetProperty("method").GetString());
    }

    [Fact]
    public async Task Forwarding_EmptyBodyWithContentLengthZeroIsForwardedEmpty()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());

        var (delivered, messageId) = await SendAsync(route, target, new ByteArrayContent([]));

        Assert.Empty(delivered.Body);
        Assert.Equal("0", delivered.Header("Content-Length"));
        Assert.Empty(await gateway.StoredBodyAsync(messageId));
        var message = Assert.Single(await gateway.LogOfMessageAsync(messageId, "message"));
        Assert.Equal(0, message.GetProperty("size").GetInt32());
    }

    /// <summary>The records of one message as <c>webhook-cli log</c> prints them.</summary>
    private async Task<List<JsonElement>> CliLogAsync(string messageId, string type)
    {
        var log = await gateway.CliAsync("log", "--message-id", messageId, "--type", type);
        Assert.True(log.ExitCode == 0, log.ToString());

        return JsonRecords.Parse(log.StandardOutput);
    }

    private static ByteArrayContent Body(string text, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        return content;
    }

    /// <summary>
    /// Posts to the route's source, expects the canned 200, and answers what the target
    /// received for this message with the message's id.
    /// </summary>
    private static async Task<(ReceivedRequest Delivered, string MessageId)> SendAsync(
        SourceRoute route,
        RecordingTarget target,
        HttpContent? content,
        Action<HttpRequestMessage>? prepare = null,
        string pathAndQuery = "",
        HttpMethod? method = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var before = target.Received.Count;
        using var request = route.Request(method ?? HttpMethod.Post, pathAndQuery);
        request.Content = content;
        prepare?.Invoke(request);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivered = (await target.WaitForAsync(before + 1, TimeSpan.FromSeconds(60)))[before];
        var messageId = delivered.Header("X-Webhook-Message-Id");
        Assert.NotNull(messageId);

        return (delivered, messageId);
    }

    private async Task AssertByteIdenticalAsync(byte[] sent, ReceivedRequest delivered, string messageId)
    {
        Assert.Equal(sent, delivered.Body);
        Assert.Equal(sent, await gateway.StoredBodyAsync(messageId));
    }

    /// <summary>A body stream of unknown length, so that the client sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
