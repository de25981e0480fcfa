using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Worker;

/// <summary>Wiring of a worker process: the stream reader, retry promoter, overdue sweep and heartbeat.</summary>
public static class WorkerHost
{
    public static HostApplicationBuilder AddGatewayWorker(this HostApplicationBuilder builder)
    {
        GatewayConnections.AddDefaults(builder.Configuration);
        builder.AddServiceDefaults();

        builder.Services.AddOptions<WorkerOptions>()
            .Bind(builder.Configuration.GetSection(WorkerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var grace = builder.Configuration.GetValue<TimeSpan?>($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.ShutdownGrace)}")
            ?? new WorkerOptions().ShutdownGrace;
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = grace + TimeSpan.FromSeconds(10));

        builder.Services.AddGatewayStorage(builder.Configuration);
        builder.AddRedisClient(GatewayConnections.Redis, configureOptions: options => options.AbortOnConnectFail = false);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TargetClient>();
        builder.Services.AddSingleton<DeliveryProcessor>();
        builder.Services.AddHostedService<DeliveryWorker>();
        builder.Services.AddHostedService<RetryPromoter>();
        builder.Services.AddHostedService<OverdueSweeper>();
        builder.Services.AddHostedService<WorkerHeartbeat>();
        builder.AddWorkerTelemetry();

        return builder;
    }

    public static async Task MigrateAsync(this IHost host, CancellationToken cancellationToken)
    {
        var migrator = host.Services.GetRequiredService<SchemaMigrator>();
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        await migrator.MigrateAsync(GatewayConnections.PostgresConnectionString(configuration), cancellationToken);
    }
}
