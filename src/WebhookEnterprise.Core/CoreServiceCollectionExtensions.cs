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
    /// </summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;

        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(GatewayConnections.PostgresConnectionString(configuration)).Build());
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
