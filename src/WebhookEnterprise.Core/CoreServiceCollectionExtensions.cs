using System.Data.Common;
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

        services.AddSingleton(_ => CreateDataSource(GatewayConnections.PostgresConnectionString(configuration)));
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

    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Given(string keyword) => given.ContainsKey(keyword) || given.ContainsKey(keyword.Replace(" ", ""));

        // The gateway runs a handful of statements all the time: prepared once per connection,
        // they are no longer parsed and planned on every call. A connection string that says
        // otherwise (for a pooler that cannot keep prepared statements) wins.
        if (!Given("Max Auto Prepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        // No statement of the gateway leaves state in its session (no SET, LISTEN, temporary
        // table or session lock; the migration uses a connection of its own), so a connection
        // going back to the pool needs no reset, which would cost a statement on its next use.
        if (!Given("No Reset On Close"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        return builder
            .ConfigureTracing(tracing => tracing
                .ConfigureCommandFilter(static _ => Activity.Current is not null)
                .EnablePhysicalOpenTracing(false))
            .Build();
    }
}
