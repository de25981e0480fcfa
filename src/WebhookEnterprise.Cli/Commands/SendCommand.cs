using System.ComponentModel.DataAnnotations;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Cli.Commands;

[Command("send", Description = "Deliver a stored message again, to every target of its source or to one.",
    ExtendedHelpText = """

    Examples:
      webhook-cli send --message-id c68db85fd7a47d6c3ac5d3bbe9742dac
      webhook-cli send --message-id c68db85fd7a47d6c3ac5d3bbe9742dac --target 'Flask App'
    """)]
public sealed class SendCommand(ShutdownSignal shutdown) : ManagementCommand
{
    [Required]
    [Option("--message-id", Description = "The id of the stored message.")]
    public string MessageId { get; set; } = "";

    [Option("--target", Description = "Only to this target (name).")]
    public string? Target { get; set; }

    private async Task<int> OnExecuteAsync()
    {
        using var client = CreateClient();
        await client.PostAsync($"/api/messages/{Uri.EscapeDataString(MessageId)}/send", new { Target }, shutdown.Token);

        return ExitCodes.Ok;
    }
}
