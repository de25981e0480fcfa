using System.ComponentModel.DataAnnotations;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Cli.Commands;

[Command("target", Description = "Manage targets, the services that receive webhooks.",
    ExtendedHelpText = "\nExample:\n  webhook-cli target list\n")]
[Subcommand(typeof(TargetAddCommand), typeof(TargetListCommand), typeof(TargetShowCommand), typeof(TargetUpdateCommand), typeof(TargetRemoveCommand))]
public sealed class TargetCommand
{
    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();

        return ExitCodes.BadInput;
    }
}

/// <summary>The delivery settings that <c>target add</c> and <c>target update</c> share.</summary>
public abstract class TargetSettingsCommand : ManagementCommand
{
    [Option("--timeout", Description = "How long an attempt may take, such as 30s (the default).")]
    public string? Timeout { get; set; }

    [Option("--retry-policy", Description = "linear (the default), exponential, schedule or none.")]
    public string? RetryPolicy { get; set; }

    [Option("--retry-interval", Description = "linear: the wait between attempts (default 60s); exponential: the first wait, doubled after each attempt, with jitter.")]
    public string? RetryInterval { get; set; }

    [Option("--retry-max-interval", Description = "exponential: the longest wait (default 1h).")]
    public string? RetryMaxInterval { get; set; }

    [Option("--retry-schedule", Description = "schedule: the waits in order, such as 5s,30s,2m,10m; one attempt more than the waits at most.")]
    public string? RetrySchedule { get; set; }

    [Option("--max-attempts", Description = "Attempts in all before the delivery fails (default 10). A target's Retry-After may lengthen a wait, up to 1h.")]
    public int? MaxAttempts { get; set; }

    protected object Settings(string? name, string? forwardName, string? url) => new
    {
        Name = name,
        ForwardName = forwardName,
        Url = url,
        Timeout,
        RetryPolicy,
        RetryInterval,
        RetryMaxInterval,
        RetrySchedule,
        MaxAttempts,
    };
}

[Command("add", Description = "Add a target that receives the messages of one source.",
    ExtendedHelpText = """

    Example:
      webhook-cli target add --name 'Flask App' --forward-name 'Curl Example' \
        --url http://127.0.0.1:5000/webhook --retry-policy linear --retry-interval 10s --max-attempts 5
    """)]
public sealed class TargetAddCommand(ShutdownSignal shutdown) : TargetSettingsCommand
{
    [Required]
    [Option("--name", Description = "A unique name for the target.")]
    public string Name { get; set; } = "";

    [Required]
    [Option("--forward-name", Description = "The name of the source whose messages this target receives.")]
    public string ForwardName { get; set; } = "";

    [Required]
    [Option("--url", Description = "The absolute http or https URL to deliver to.")]
    public string Url { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        await client.PostAsync("/api/targets", Settings(Name, ForwardName, Url), shutdown.Token);

        return ExitCodes.Ok;
    }
}

[Command("list", Description = "List the targets.", ExtendedHelpText = "\nExample:\n  webhook-cli target list --source 'Curl Example'\n")]
public sealed class TargetListCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    [Option("--source", Description = "Only the targets of this source (id or name).")]
    public string? Source { get; set; }

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var path = Source is null ? "/api/targets" : $"/api/targets?source={Uri.EscapeDataString(Source)}";
        var targets = await client.GetAsync(path, shutdown.Token);

        var rows = targets.EnumerateArray()
            .Select(target => new[]
            {
                target.GetProperty("id").GetString() ?? "",
                target.GetProperty("name").GetString() ?? "",
                target.GetProperty("source").GetProperty("name").GetString() ?? "",
                target.GetProperty("retry_policy").GetString() ?? "",
                target.GetProperty("url").GetString() ?? "",
            });
        await Output.WriteTableAsync(console, ["ID", "NAME", "SOURCE", "POLICY", "URL"], rows);

        return ExitCodes.Ok;
    }
}

[Command("show", Description = "Show one target, by id or name, as JSON.", ExtendedHelpText = "\nExample:\n  webhook-cli target show 'Flask App'\n")]
public sealed class TargetShowCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Argument(0, "target", Description = "The target's id or name.")]
    public string Target { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var target = await client.GetAsync($"/api/targets/{Uri.EscapeDataString(Target)}", shutdown.Token);
        await Output.WritePrettyAsync(console, target);

        return ExitCodes.Ok;
    }
}

[Command("update", Description = "Change a target's URL, source or delivery settings.",
    ExtendedHelpText = "\nExample:\n  webhook-cli target update 'Flask App' --retry-policy exponential --retry-interval 5s --retry-max-interval 10m\n")]
public sealed class TargetUpdateCommand(IConsole console, ShutdownSignal shutdown) : TargetSettingsCommand
{
    [Required]
    [Argument(0, "target", Description = "The target's id or name.")]
    public string Target { get; set; } = "";

    [Option("--name", Description = "A new name.")]
    public string? Name { get; set; }

    [Option("--forward-name", Description = "The source whose messages it receives from now on.")]
    public string? ForwardName { get; set; }

    [Option("--url", Description = "A new absolute http or https URL.")]
    public string? Url { get; set; }

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        var target = await client.PatchAsync($"/api/targets/{Uri.EscapeDataString(Target)}", Settings(Name, ForwardName, Url), shutdown.Token);
        await Output.WritePrettyAsync(console, target);

        return ExitCodes.Ok;
    }
}

[Command("remove", Description = "Remove a target; deliveries to it stop, and its log stays.",
    ExtendedHelpText = "\nExample:\n  webhook-cli target remove 'Flask App'\n")]
public sealed class TargetRemoveCommand(ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Argument(0, "target", Description = "The target's id or name.")]
    public string Target { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        await client.DeleteAsync($"/api/targets/{Uri.EscapeDataString(Target)}", shutdown.Token);

        return ExitCodes.Ok;
    }
}
