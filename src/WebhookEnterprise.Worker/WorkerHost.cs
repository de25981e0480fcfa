using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
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

        // A delivery carries the sender's trace headers, if any, exactly as they came, and none
        // of the worker's: its spans are still recorded, but nothing is injected into requests
        // to targets (see TargetClient for the runtime's own injection).
        Sdk.SetDefaultTextMapPropagator(new CompositeTextMapPropagator([]));

        builder.Services.AddOptions<WorkerOptions>()
            .Bind(builder.Configuration.GetSection(WorkerOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();

        var grace = builder.Configuration.GetValue<TimeSpan?>($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.ShutdownGrace)}")
            ?? new WorkerOptions().ShutdownGrace;
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = grace + TimeSpan.FromSeconds(10));

        builder.Services.AddGatewayStorage(builder.Configuration);
        builder.AddRedisClient(GatewayConnections.Redis, configureOptions: GatewayConnections.ConfigureRedis);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TargetClient>();
        builder.Services.AddSingleton<DeliveryBatches>();
        builder.Services.AddSingleton<DeliveryProcessor>();
        builder.Services.AddHostedService<DeliveryWorker>();
        builder.Services.AddHostedService<RetryPromoter>();
        builder.Services.AddHostedService<OverdueSweeper>();
        builder.Services.AddHostedService<WorkerHeartbeat>();
        builder.AddWorkerTelemetry();

        return builder;
    }

    /// <summary>
    /// What is wrong with the worker's settings, one sentence per problem, or null when nothing
    /// is. Meant to run before anything else, so that a misconfigured worker touches nothing.
    /// </summary>
    public static string? SettingsProblem(this IHost host)
    {
        try
        {
            _ = host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;

            return null;
        }
        catch (OptionsValidationException e)
        {
            return string.Join(Environment.NewLine, e.Failures);
        }
        catch (InvalidOperationException e) when (e.InnerException is FormatException or OverflowException)
        {
            // A value the binder could not convert, such as "30s" where a TimeSpan (00:00:30) belongs.
            return e.Message;
        }
    }

    public static async Task MigrateAsync(this IHost host, CancellationToken cancellationToken)
    {
        var migrator = host.Services.GetRequiredService<SchemaMigrator>();
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        await migrator.MigrateAsync(GatewayConnections.PostgresConnectionString(configuration), cancellationToken);
    }
}
