using System.Net;
using System.Net.Http.Json;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>A gateway whose workers refuse private networks, except 127.0.0.2 which is allowed.</summary>
public sealed class PrivateNetworkGateway : Gateway
{
    public PrivateNetworkGateway()
    {
        WorkerSettings["Worker__BlockPrivateNetworks"] = "true";
        WorkerSettings["Worker__AllowedPrivateNetworks__0"] = "127.0.0.2/32";
    }
}

/// <summary>
/// With <c>Worker:BlockPrivateNetworks</c> on, deliveries to loopback, private, link-local and
/// metadata addresses are refused, judged on the addresses a name resolves to, and fail at once
/// instead of being retried; allowed networks are still reached.
/// </summary>
public sealed class PrivateNetworkTests(PrivateNetworkGateway gateway) : IClassFixture<PrivateNetworkGateway>
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("[::1]", "loopback")]
    [InlineData("localhost", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("[::ffff:127.0.0.1]", "loopback")]
    public async Task PrivateNetworks_DeliveryIsRefusedAndNotRetried(string host, string range)
    {
        await using var target = await RecordingTarget.StartAsync();
        var route = await gateway.AddRouteAsync($"http://{host}:{target.Port}/hook", retryInterval: "1s", maxAttempts: 3);

        var messageId = await PostAsync(route);

        var response = Assert.Single(await gateway.WaitForResponsesAsync(messageId, 1));
        Assert.Equal("blocked_address", response.GetProperty("error").GetProperty("kind").GetString());
        var error = response.GetProperty("error");
        Assert.Contains($"in the {range} range", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", response.GetProperty("status").GetString());
        Assert.Equal(("failed", 1, (DateTime?)null), Assert.Single(await gateway.DeliveriesAsync(messageId)));
        Assert.Empty(target.Received);
    }

    [Fact]
    public async Task PrivateNetworks_AllowedNetworkIsStillReached()
    {
        await using var target = await RecordingTarget.StartAsync(IPAddress.Parse("127.0.0.2"));
        var route = await gateway.AddRouteAsync(target.Url(), retryInterval: "1s");

        var messageId = await PostAsync(route);

        var response = Assert.Single(await gateway.WaitForResponsesAsync(messageId, 1));
        Assert.Equal("succeeded", response.GetProperty("status").GetString());
        Assert.Equal(messageId, Assert.Single(target.Received).Header("X-Webhook-Message-Id"));
    }

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
