using System.Net;
using System.Net.Http.Headers;
using System.Text;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>Ingress answers senders without credentials or sources, and stores nothing for them.</summary>
public sealed class IngressTests(Gateway gateway) : IClassFixture<Gateway>
{
    [Fact]
    public async Task Ingress_WrongCredentialsAnswer401WithABasicChallenge()
    {
        var url = new Uri((await gateway.CliAsync("source", "add", "--name", "Guarded")).StandardOutput.Trim());
        using var http = new HttpClient();
        var before = await MessageCountAsync();

        foreach (var credentials in new[] { null, "wrong:credentials", url.UserInfo.Split(':')[0] + ":" + new string('0', 32) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url.GetLeftPart(UriPartial.Path)) { Content = new StringContent("{}") };
            if (credentials is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            }

            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }

        Assert.Equal(before, await MessageCountAsync());
    }

    [Fact]
    public async Task Ingress_UnknownSourceAnswers404()
    {
        using var http = new HttpClient();
        var before = await MessageCountAsync();

        using var response = await http.PostAsync($"{gateway.ApiUrl}/987654", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, await MessageCountAsync());
    }

    [Fact]
    public async Task Ingress_OtherPathsAnswer404()
    {
        using var http = new HttpClient();

        using var response = await http.GetAsync($"{gateway.ApiUrl}/not-a-source/at-all");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<int> MessageCountAsync()
    {
        var log = await gateway.CliAsync("log", "--type", "message", "-n", "10000");

        return log.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }
}
