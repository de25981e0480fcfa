using McMaster.Extensions.CommandLineUtils;
using WebhookEnterprise.Cli.Commands;

namespace WebhookEnterprise.Cli;

[Command(Name = "webhook-cli", Description = "Webhook-Enterprise: a transparent, durable webhook gateway.",
    ExtendedHelpText = """

    Examples:
      webhook-cli run api
      webhook-cli run worker
      webhook-cli source add --name 'Curl Example' --status-code 200 --content-type application/json --content '{"message": "ok"}'
      webhook-cli log --type message -n 1 --pretty
    """)]
[Subcommand(typeof(RunCommand), typeof(MigrateCommand), typeof(SourceCommand), typeof(TargetCommand), typeof(LogCommand), typeof(SendCommand))]
[HelpOption("-h|--help")]
public sealed class WebhookCli
{
    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();

        return ExitCodes.BadInput;
    }
}
