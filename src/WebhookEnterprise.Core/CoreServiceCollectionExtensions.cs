using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds Postgres storage (a pooled data source over the <c>webhooks</c> connection string),
    /// the repositories and the delivery queue. Redis itself is added by the host, by resource name.
    /// Database commands are traced only within a trace under way: one outside any (the overdue
    /// sweep, loading a job before its attempt's span starts) would be a trace of one span. For
    /// the same reason opening a physical connection, which the pool does whenever it likes, is
    /// not traced.
    /// </summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;

        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(GatewayConnections.PostgresConnectionString(configuration))
            .ConfigureTracing(tracing => tracing
                .ConfigureCommandFilter(static _ => Activity.Current is not null)
                .EnablePhysicalOpenTracing(false))
            .Build());
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<SourceRepository>();
        services.AddSingleton<TargetRepository>();
        services.AddSingleton<MessageStore>();
        services.AddSingleton<DeliveryRepository>();
        services.AddSingleton<LogRepository>();

        services.Configure<QueueOptions>(configuration.GetSection(QueueOptions.SectionName));
        services.AddSingleton<DeliveryQueue>();

        return services;
    }
}
