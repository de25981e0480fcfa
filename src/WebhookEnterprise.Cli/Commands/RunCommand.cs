using McMaster.Extensions.CommandLineUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using WebhookEnterprise.Api;
using WebhookEnterprise.Worker;

namespace WebhookEnterprise.Cli.Commands;

[Command("run", Description = "Run a process of the gateway.",
    ExtendedHelpText = "\nExamples:\n  webhook-cli run api\n  webhook-cli run worker\n")]
[Subcommand(typeof(RunApiCommand), typeof(RunWorkerCommand))]
public sealed class RunCommand
{
    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();

        return ExitCodes.BadInput;
    }
}

[Command("api", Description = "Run the api: ingress, /health and the management API, on http://0.0.0.0:4698 by default.",
    ThrowOnUnexpectedArgument = false,
    ExtendedHelpText = """

    Settings come from the environment or appsettings.json, and host options may follow:
      ConnectionStrings__webhooks   Postgres (default Host=localhost;Port=5432;Database=webhooks;Username=postgres)
      ConnectionStrings__redis      Redis (default localhost:6379)
      Api__PublicUrl                base of the URLs that 'source add' prints
      Api__MaxBodyBytes             largest body accepted, larger ones get 413 (default 26214400)
      Api__RequestHeadersTimeout    time a sender has for its headers (default 00:00:15)
      Api__BodyReadTimeout          time a sender has for its whole body (default 00:01:00)
      Api__MinBodyBytesPerSecond    slowest body accepted after a grace period (default 240)
      WEBHOOK_ADMIN_TOKEN           token for the management API (else loopback only)

    Example:
      webhook-cli run api --urls http://127.0.0.1:4698
    """)]
public sealed class RunApiCommand(ShutdownSignal shutdown)
{
    public string[] RemainingArguments { get; set; } = [];

    private async Task<int> OnExecuteAsync()
    {
        var builder = WebApplication.CreateBuilder(RemainingArguments);
        builder.AddGatewayApi();

        await using var app = builder.Build();
        await app.MigrateAsync(shutdown.Token);
        app.ConnectQueue();
        app.MapGatewayApi();
        await app.RunAsync(shutdown.Token);

        return ExitCodes.Ok;
    }
}

[Command("worker", Description = "Run a delivery worker: read the delivery stream, call targets, schedule retries.",
    ThrowOnUnexpectedArgument = false,
    ExtendedHelpText = """

    Settings come from the environment or appsettings.json; durations are written like 00:06:00:
      ConnectionStrings__webhooks   Postgres (default Host=localhost;Port=5432;Database=webhooks;Username=postgres)
      ConnectionStrings__redis      Redis (default localhost:6379)
      Worker__Name                  consumer name, unique among running workers; keep it across restarts
                                    so that a restarted worker finishes its jobs at once (default host-pid)
      Worker__Concurrency           attempts at once (default 128)
      Worker__ResponseBodyLimit     bytes of each target answer kept in the log (default 65536)
      Worker__BlockPrivateNetworks  true: refuse loopback, private and metadata addresses
      Worker__AllowedPrivateNetworks__0
                                    a network such as 10.20.0.0/16 reachable all the same
      Worker__MaxAttemptTime        longest attempt, whatever a target's timeout (default 00:05:00)
      Worker__ClaimIdleTime         when a dead worker's jobs are taken over; at least MaxAttemptTime
                                    plus 30 seconds (default 00:06:00)
      Worker__SweepGrace            when due deliveries Redis lost are queued again; at least
                                    ClaimIdleTime (default 00:07:00)
      Worker__MaxJobDeliveries      deliveries of one job before its delivery is failed (default 5)
      Worker__ShutdownGrace         on SIGTERM, how long attempts in flight may finish (default 00:00:30)

    Example:
      webhook-cli run worker
    """)]
public sealed class RunWorkerCommand(ShutdownSignal shutdown)
{
    public string[] RemainingArguments { get; set; } = [];

    private async Task<int> OnExecuteAsync()
    {
        var builder = Host.CreateApplicationBuilder(RemainingArguments);
        builder.AddGatewayWorker();

        using var host = builder.Build();
        if (host.SettingsProblem() is { } problem)
        {
            throw new CliException(problem, ExitCodes.BadInput);
        }

        await host.MigrateAsync(shutdown.Token);
        await host.RunAsync(shutdown.Token);

        return ExitCodes.Ok;
    }
}
