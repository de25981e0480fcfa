using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebhookEnterprise.Tests.Infrastructure;

namespace WebhookEnterprise.Tests;

/// <summary>
/// Bad input is refused before anything is written: one sentence on standard error, a
/// non-zero exit code, and the same state afterwards.
/// </summary>
public sealed class CommandLineRefusalTests(Gateway gateway) : IClassFixture<Gateway>
{
    [Fact]
    public async Task SourceAdd_RefusesADuplicateName()
    {
        var first = await gateway.CliAsync("source", "add", "--name", "Duplicate Source");
        Assert.True(first.ExitCode == 0, first.ToString());

        var second = await gateway.CliAsync("source", "add", "--name", "Duplicate Source");

        AssertRefused(second, "Duplicate Source");
        var list = await gateway.CliAsync("source", "list");
        Assert.Single(list.StandardOutput.Split('\n'), line => line.Contains("Duplicate Source", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("99")]
    [InlineData("600")]
    public async Task SourceAdd_RefusesAStatusCodeOutOfRange(string statusCode)
    {
        var result = await gateway.CliAsync("source", "add", "--name", $"Status {statusCode}", "--status-code", statusCode);

        AssertRefused(result, "status-code");
        Assert.DoesNotContain($"Status {statusCode}", (await gateway.CliAsync("source", "list")).StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourceAdd_RefusesAMissingName()
    {
        var result = await gateway.CliAsync("source", "add", "--status-code", "200");

        AssertRefused(result, "--name");
    }

    [Fact]
    public async Task TargetAdd_RefusesAnUnknownForwardName()
    {
        var result = await gateway.CliAsync("target", "add", "--name", "Orphan", "--forward-name", "No Such Source", "--url", "http://127.0.0.1:9/hook");

        AssertRefused(result, "No Such Source");
        Assert.DoesNotContain("Orphan", (await gateway.CliAsync("target", "list")).StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/hook")]
    [InlineData("not a url")]
    [InlineData("/relative/path")]
    public async Task TargetAdd_RefusesAUrlThatIsNotAbsoluteHttp(string url)
    {
        await gateway.CliAsync("source", "add", "--name", "Url Checks");

        var result = await gateway.CliAsync("target", "add", "--name", "Bad Url", "--forward-name", "Url Checks", "--url", url);

        AssertRefused(result, "http");
        Assert.DoesNotContain("Bad Url", (await gateway.CliAsync("target", "list")).StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--timeout", "soon", "soon")]
    [InlineData("--retry-policy", "sometimes", "sometimes")]
    [InlineData("--retry-schedule", "5s,later", "later")]
    [InlineData("--max-attempts", "0", "attempts")]
    public async Task TargetAdd_RefusesBadDeliverySettings(string option, string value, string mentioned)
    {
        await gateway.CliAsync("source", "add", "--name", "Setting Checks");

        var result = await gateway.CliAsync("target", "add", "--name", "Bad Setting", "--forward-name", "Setting Checks", "--url", "http://127.0.0.1:9/", option, value);

        AssertRefused(result, mentioned);
        Assert.DoesNotContain("Bad Setting", (await gateway.CliAsync("target", "list")).StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_RefusesAnUnknownMessageId()
    {
        var result = await gateway.CliAsync("send", "--message-id", "0123456789abcdef0123456789abcdef");

        AssertRefused(result, "0123456789abcdef0123456789abcdef");
    }

    [Fact]
    public async Task Send_RefusesAMissingMessageId()
    {
        var result = await gateway.CliAsync("send");

        AssertRefused(result, "--message-id");
    }

    [Fact]
    public async Task Commands_SayWhichAddressTheyCouldNotReach()
    {
        var unreachable = $"http://127.0.0.1:{Ports.Free()}";

        var result = await gateway.CliAsync("source", "list", "--api-url", unreachable);

        AssertRefused(result, unreachable);
    }

    [Fact]
    public async Task RunWorker_SaysInOneSentenceThatPostgresCannotBeReached()
    {
        var unreachable = $"Host=127.0.0.1;Port={Ports.Free()};Username=postgres;Database=webhooks;Timeout=3";

        var result = await gateway.CliAsync(
            new Dictionary<string, string?> { ["ConnectionStrings__webhooks"] = unreachable },
            "run", "worker");

        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("Cannot reach Postgres", result.StandardError.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.StandardError.Trim());
    }

    [Fact]
    public async Task ManagementApi_AnswersProblemDetailsNamingTheField()
    {
        using var http = new HttpClient();

        using var response = await http.PostAsJsonAsync($"{gateway.ApiUrl}/api/sources", new { name = "Problem Source", status_code = 700 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("status_code", problem.GetProperty("field").GetString());
        Assert.Contains("700", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("source", "add")]
    [InlineData("source", "list")]
    [InlineData("source", "show")]
    [InlineData("source", "update")]
    [InlineData("source", "remove")]
    [InlineData("target", "add")]
    [InlineData("target", "list")]
    [InlineData("target", "show")]
    [InlineData("target", "update")]
    [InlineData("target", "remove")]
    [InlineData("log")]
    [InlineData("send")]
    [InlineData("run", "api")]
    [InlineData("run", "worker")]
    [InlineData("migrate")]
    public async Task Help_ShowsAnExample(params string[] command)
    {
        var result = await gateway.CliAsync([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Example", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("webhook-cli " + string.Join(' ', command), result.StandardOutput, StringComparison.Ordinal);
    }

    private static void AssertRefused(CliResult result, string mentioned)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Equal("", result.StandardOutput.Trim());
        var error = result.StandardError.Trim();
        Assert.Contains(mentioned, error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', error);
    }
}
