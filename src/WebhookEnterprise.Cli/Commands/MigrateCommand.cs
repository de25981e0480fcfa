using McMaster.Extensions.CommandLineUtils;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Cli.Commands;

[Command("migrate", Description = "Create or upgrade the database schema, then exit. The api and workers also do this at start.",
    ExtendedHelpText = "\nExample:\n  ConnectionStrings__webhooks='Host=db;Database=webhooks;Username=gateway' webhook-cli migrate\n")]
public sealed class MigrateCommand(ShutdownSignal shutdown)
{
    private async Task<int> OnExecuteAsync()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();

        using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole());
        var migrator = new SchemaMigrator(loggers.CreateLogger<SchemaMigrator>());
        await migrator.MigrateAsync(GatewayConnections.PostgresConnectionString(configuration), shutdown.Token);

        return ExitCodes.Ok;
    }
}
