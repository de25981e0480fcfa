using Microsoft.Extensions.Configuration;

namespace WebhookEnterprise.AppHost;

internal static class GatewayStoreBuilderExtensions
{
    /// <summary>
    /// Adds Postgres (server <c>postgres</c>, database <c>webhooks</c>) and Redis (<c>redis</c>):
    /// as containers where a container runtime answers, else as the machine's own servers
    /// (see <see cref="LocalStoresOptions"/>).
    /// </summary>
    public static GatewayStores AddGatewayStores(this IDistributedApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LocalStoresOptions.SectionName).Get<LocalStoresOptions>()
            ?? new LocalStoresOptions();
        var useContainers = options.Mode switch
        {
            StoreMode.Containers => true,
            StoreMode.Executables => false,
            _ => ContainerRuntime.Answers(builder.Configuration),
        };

        return useContainers ? builder.AddContainerStores(options) : builder.AddExecutableStores(options);
    }

    private static GatewayStores AddContainerStores(
        this IDistributedApplicationBuilder builder,
        LocalStoresOptions options)
    {
        var postgres = builder.AddPostgres("postgres", port: options.PostgresPort)
            .WithDataVolume();
        var database = postgres.AddDatabase("webhooks");
        var redis = builder.AddRedis("redis", port: options.RedisPort)
            .WithDataVolume();

        return new GatewayStores(postgres, database, redis);
    }

    private static GatewayStores AddExecutableStores(
        this IDistributedApplicationBuilder builder,
        LocalStoresOptions options)
    {
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        var dataPath = Path.GetFullPath(options.DataPath, repositoryRoot);

        var postgres = builder.AddLocalPostgres("postgres", Path.Join(dataPath, "postgres"), options.PostgresPort);
        var database = postgres.AddLocalDatabase("webhooks");
        var redis = builder.AddLocalRedis("redis", Path.Join(dataPath, "redis"), options.RedisPort);

        return new GatewayStores(postgres, database, redis);
    }
}
