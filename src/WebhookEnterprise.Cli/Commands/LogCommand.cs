using System.Text.Json;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Cli.Commands;

[Command("log", Description = "Print the log: JSON lines, oldest first, the last 10 unless -n says otherwise.",
    ExtendedHelpText = """

    Examples:
      webhook-cli log --type message -n 1 --pretty
      webhook-cli log -f --type target.response --pretty
      webhook-cli log --message-id c68db85fd7a47d6c3ac5d3bbe9742dac
    """)]
public sealed class LogCommand(IConsole console, ShutdownSignal shutdown) : ManagementCommand
{
    [Option("--type", Description = "Only records of this type: message or target.response. Repeatable.")]
    public string[] Types { get; set; } = [];

    [Option("-n", Description = "How many of the last records to print (default 10).")]
    public int? Count { get; set; }

    [Option("--pretty", Description = "Indent each record.")]
    public bool Pretty { get; set; }

    [Option("-f|--follow", Description = "Keep printing new records as they happen, until Ctrl-C.")]
    public bool Follow { get; set; }

    [Option("--source", Description = "Only records of this source (id or name).")]
    public string? Source { get; set; }

    [Option("--target", Description = "Only records of this target (id or name).")]
    public string? Target { get; set; }

    [Option("--message-id", Description = "Only records of this message.")]
    public string? MessageId { get; set; }

    private async Task<int> OnExecuteAsync()
    {
        if (Count is < 0)
        {
            throw new CliException($"-n must be zero or more, not {Count}.", ExitCodes.BadInput);
        }

        var query = new List<string>();
        query.AddRange(Types.Select(type => "type=" + Uri.EscapeDataString(type)));
        AddIfSet(query, "n", Count?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddIfSet(query, "source", Source);
        AddIfSet(query, "target", Target);
        AddIfSet(query, "message", MessageId);
        if (Follow)
        {
            query.Add("follow=true");
        }

        using var client = CreateClient();
        try
        {
            await foreach (var line in client.StreamLinesAsync("/api/log?" + string.Join('&', query), shutdown.Token))
            {
                if (Pretty)
                {
                    using var record = JsonDocument.Parse(line);
                    await Output.WritePrettyAsync(console, record.RootElement);
                }
                else
                {
                    await console.Out.WriteLineAsync(line);
                }
            }
        }
        catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
        {
            // Ctrl-C ends following; what was printed stands.
        }

        return ExitCodes.Ok;
    }

    private static void AddIfSet(List<string> query, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }
}
