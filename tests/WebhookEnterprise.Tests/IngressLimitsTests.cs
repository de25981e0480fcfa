using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>A gateway whose api has short read deadlines and a body limit of 1 MiB.</summary>
public sealed class IngressLimitsGateway : Gateway
{
    public IngressLimitsGateway()
    {
        ApiSettings["Api__MaxBodyBytes"] = "1048576";
        ApiSettings["Api__RequestHeadersTimeout"] = "00:00:02";
        ApiSettings["Api__BodyReadTimeout"] = "00:00:04";
        ApiSettings["Api__MinBodyBytesPerSecond"] = "100";
        ApiSettings["Api__MinBodyRateGracePeriod"] = "00:00:02";
        ApiSettings["Api__RefusedBodyDrainTime"] = "00:00:02";
    }
}

/// <summary>
/// Limits on the way in: senders that are slow with their headers or body are cut off, a body
/// over the limit is refused while it arrives, and none of them keeps the api from serving others.
/// </summary>
public sealed class IngressLimitsTests(IngressLimitsGateway gateway) : IClassFixture<IngressLimitsGateway>
{
    private static readonly TimeSpan CutOffDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task IngressLimits_SendersSlowWithTheirHeadersAreCutOffWhileOthersAreServed()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        var stalled = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var client = await ConnectAsync();
                stalled.Add(client);
                var partial = $"POST /{route.SourceId} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(partial));
            }

            Assert.Equal(200, await route.SendRawAsync("POST", ["Content-Type: application/json"], "{}"u8.ToArray()));
            await target.WaitForAsync(1);

            foreach (var client in stalled)
            {
                var answer = await ReadUntilClosedAsync(client);
                Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer);
            }
        }
        finally
        {
            stalled.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task IngressLimits_BodyTricklingInBelowTheMinimumRateIsRefusedAndNothingStored()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        using var client = await ConnectAsync();
        await client.GetStream().WriteAsync(Head(route, "Content-Length: 10000"));

        using var stop = new CancellationTokenSource();
        var trickle = SendSlowlyAsync(client.GetStream(), bytesPerTick: 1, TimeSpan.FromMilliseconds(500), stop.Token);
        Assert.Equal(200, await route.SendRawAsync("POST", ["Content-Type: application/json"], "{}"u8.ToArray()));
        var answer = await ReadUntilClosedAsync(client);
        await stop.CancelAsync();
        await trickle;

        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer);
        await AssertRefusalLoggedAsync(route, "with 408");
        Assert.Single(target.Received);
    }

    [Fact]
    public async Task IngressLimits_BodyTakingLongerThanTheDeadlineIsAnswered408()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        using var client = await ConnectAsync();
        await client.GetStream().WriteAsync(Head(route, "Content-Length: 1000000"));

        using var stop = new CancellationTokenSource();
        var steady = SendSlowlyAsync(client.GetStream(), bytesPerTick: 200, TimeSpan.FromMilliseconds(250), stop.Token);
        var answer = await ReadUntilClosedAsync(client);
        await stop.CancelAsync();
        await steady;

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        await AssertRefusalLoggedAsync(route, "with 408: its body took longer than 4 seconds");
        Assert.Empty(target.Received);
    }

    [Fact]
    public async Task IngressLimits_ChunkedBodyIsRefusedAsSoonAsItPassesTheLimit()
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync(target.Url());
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Head(route, "Transfer-Encoding: chunked"));

        var answer = ReadUntilClosedAsync(client);
        var chunk = new byte[64 * 1024];
        var size = Encoding.ASCII.GetBytes(chunk.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        byte[] framed = [.. size, .. chunk, .. "\r\n"u8];
        long sent = 0;
        const long Intended = 50L * 1024 * 1024;
        try
        {
            while (sent < Intended && await Task.WhenAny(answer, Task.Delay(10)) != answer)
            {
                await stream.WriteAsync(framed);
                sent += chunk.Length;
            }
        }
        catch (IOException)
        {
            // The api hung up after answering.
        }

        Assert.StartsWith("HTTP/1.1 413", await answer, StringComparison.Ordinal);
        Assert.True(sent < Intended / 4, $"{sent} bytes were sent before the 413 came.");
        await AssertRefusalLoggedAsync(route, "with 413: its body grew past the limit of 1048576 bytes");
        Assert.Empty(target.Received);
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gateway.ApiPort);

        return client;
    }

    private static byte[] Head(SourceRoute route, string framing)
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(route.Credentials));

        return Encoding.ASCII.GetBytes(
            $"POST /{route.SourceId} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {credentials}\r\n"
            + $"Content-Type: text/plain\r\n{framing}\r\n\r\n");
    }

    /// <summary>Writes a few bytes at every tick until stopped or the api hangs up.</summary>
    private static async Task SendSlowlyAsync(NetworkStream stream, int bytesPerTick, TimeSpan tick, CancellationToken stop)
    {
        var bytes = Enumerable.Repeat((byte)'x', bytesPerTick).ToArray();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await stream.WriteAsync(bytes, stop);
                await Task.Delay(tick, stop);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Stopped, or the api hung up.
        }
    }

    /// <summary>Everything the api sends until it closes the connection, which must happen within <see cref="CutOffDeadline"/>.</summary>
    private static async Task<string> ReadUntilClosedAsync(TcpClient client)
    {
        using var deadline = new CancellationTokenSource(CutOffDeadline);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await client.GetStream().ReadAsync(buffer, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset by the api: closed all the same.
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The api kept the connection open for {CutOffDeadline}.");
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    private async Task AssertRefusalLoggedAsync(SourceRoute route, string refusal)
    {
        var expected = $"Refused a message from source {route.SourceId} {refusal}";
        await Eventually.TrueAsync(
            () => Task.FromResult(gateway.ApiOutput.Contains(expected, StringComparison.Ordinal)),
            $"the api to log '{expected}':\n{gateway.ApiOutput}");
        var log = await gateway.CliAsync("log", "--source", route.Name, "--type", "message", "-n", "100");
        Assert.DoesNotContain("text/plain", log.StandardOutput, StringComparison.Ordinal);
    }
}
