using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Cli.Commands;

/// <summary>The options of every command that talks to the management API.</summary>
public abstract class ManagementCommand
{
    [Option("--api-url", Description = "The api to manage. Default: $WEBHOOK_API_URL, else http://localhost:4698.")]
    public string? ApiUrl { get; set; }

    [Option("--token", Description = "The admin token. Default: $WEBHOOK_ADMIN_TOKEN.")]
    public string? Token { get; set; }

    protected ApiClient CreateClient() => new(ApiUrl, Token);
}
