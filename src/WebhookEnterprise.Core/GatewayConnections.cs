using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace WebhookEnterprise.Core;

/// <summary>
/// The connection strings every process uses, named as the AppHost injects them
/// (<c>ConnectionStrings__webhooks</c>, <c>ConnectionStrings__redis</c>), with local servers on
/// the standard ports when nothing is set.
/// </summary>
public static class GatewayConnections
{
    public const string Postgres = "webhooks";
    public const string Redis = "redis";

    public const string DefaultPostgres = "Host=localhost;Port=5432;Database=webhooks;Username=postgres";
    public const string DefaultRedis = "localhost:6379";

    public static string PostgresConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(Postgres) is { Length: > 0 } value ? value : DefaultPostgres;

    /// <summary>Puts the defaults under whatever configuration already holds, so that any source overrides them.</summary>
    public static void AddDefaults(IConfigurationBuilder configuration)
    {
        var defaults = new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                [$"ConnectionStrings:{Postgres}"] = DefaultPostgres,
                [$"ConnectionStrings:{Redis}"] = DefaultRedis,

                // The Redis client narrates every connection at Information; its warnings are what matter.
                ["Logging:LogLevel:StackExchange.Redis"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",

                // Redis commands are not traced: workers poll Redis several times a second outside
                // any message, and each command would be a trace of its own, burying the messages'
                // traces. The gateway's own spans mark its Redis work within them.
                ["Aspire:StackExchange:Redis:DisableTracing"] = "true",
            },
        };
        configuration.Sources.Insert(0, defaults);
    }

    /// <summary>How the api and the workers use their Redis connection.</summary>
    public static void ConfigureRedis(ConfigurationOptions options)
    {
        // A process starts, and waits for Redis, even when Redis is not there yet.
        options.AbortOnConnectFail = false;
    }
}
