using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Cli.Commands;

[Command("source", Description = "Manage sources, the services that send webhooks.",
    ExtendedHelpText = "\nExample:\n  webhook-cli source list\n")]
[Subcommand(typeof(SourceAddCommand), typeof(SourceListCommand), typeof(SourceShowCommand), typeof(SourceUpdateCommand), typeof(SourceRemoveCommand))]
public sealed class SourceCommand
{
    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();

        return ExitCodes.BadInput;
    }
}

[Command("add", Description = "Add a source and print the URL it sends webhooks to.",
    ExtendedHelpText = """

    Example:
      webhook-cli source add --name 'Curl Example' --status-code 200 \
        --content-type application/json --content '{"message": "ok"}'
    """)]
public sealed class SourceAddCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Option("--name", Description = "A unique name for the source.")]
    public string Name { get; set; } = "";

    [Range(100, 599)]
    [Option("--status-code", Description = "The status code the sender gets at once. Default: 200.")]
    public int StatusCode { get; set; } = 200;

    [Option("--content-type", Description = "The content type of that answer. Default: text/plain.")]
    public string ContentType { get; set; } = "text/plain";

    [Option("--content", Description = "The body of that answer. Default: empty.")]
    public string Content { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var source = await client.PostAsync(
            "/api/sources",
            new { Name, StatusCode, ContentType, Content },
            shutdown.Token);

        await console.Out.WriteLineAsync(source.GetProperty("url").GetString());

        return ExitCodes.Ok;
    }
}

[Command("list", Description = "List the sources.", ExtendedHelpText = "\nExample:\n  webhook-cli source list\n")]
public sealed class SourceListCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var sources = await client.GetAsync("/api/sources", shutdown.Token);

        var rows = sources.EnumerateArray()
            .Select(source => new[]
            {
                source.GetProperty("id").GetRawText(),
                source.GetProperty("name").GetString() ?? "",
                source.GetProperty("status_code").GetRawText(),
                source.GetProperty("url").GetString() ?? "",
            });
        await Output.WriteTableAsync(console, ["ID", "NAME", "STATUS", "URL"], rows);

        return ExitCodes.Ok;
    }
}

[Command("show", Description = "Show one source, by id or name, as JSON.", ExtendedHelpText = "\nExample:\n  webhook-cli source show 'Curl Example'\n")]
public sealed class SourceShowCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Argument(0, "source", Description = "The source's id or name.")]
    public string Source { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var source = await client.GetAsync($"/api/sources/{Uri.EscapeDataString(Source)}", shutdown.Token);
        await Output.WritePrettyAsync(console, source);

        return ExitCodes.Ok;
    }
}

[Command("update", Description = "Change a source's name or canned answer.",
    ExtendedHelpText = "\nExample:\n  webhook-cli source update 'Curl Example' --status-code 202 --content ''\n")]
public sealed class SourceUpdateCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Argument(0, "source", Description = "The source's id or name.")]
    public string Source { get; set; } = "";

    [Option("--name", Description = "A new name.")]
    public string? Name { get; set; }

    [Range(100, 599)]
    [Option("--status-code", Description = "The status code the sender gets.")]
    public int? StatusCode { get; set; }

    [Option("--content-type", Description = "The content type of that answer.")]
    public string? ContentType { get; set; }

    [Option("--content", Description = "The body of that answer.")]
    public string? Content { get; set; }

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var source = await client.PatchAsync(
            $"/api/sources/{Uri.EscapeDataString(Source)}",
            new { Name, StatusCode, ContentType, Content },
            shutdown.Token);
        await Output.WritePrettyAsync(console, source);

        return ExitCodes.Ok;
    }
}

[Command("remove", Description = "Remove a source and its targets; its stored messages and log stay.",
    ExtendedHelpText = "\nExample:\n  webhook-cli source remove 'Curl Example'\n")]
public sealed class SourceRemoveCommand(ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Argument(0, "source", Description = "The source's id or name.")]
    public string Source { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        await client.DeleteAsync($"/api/sources/{Uri.EscapeDataString(Source)}", shutdown.Token);

        return ExitCodes.Ok;
    }
}
