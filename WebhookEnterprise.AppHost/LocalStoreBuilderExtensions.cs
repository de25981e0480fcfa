using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace WebhookEnterprise.AppHost;

/// <summary>
/// Postgres and Redis as executables, for machines without a container runtime (CI, or a
/// developer without Docker): Debian's servers, as <c>scripts/install-prerequisites.sh</c>
/// installs them. Each listens on 127.0.0.1 only, on its own port.
/// </summary>
internal static class LocalStoreBuilderExtensions
{
    private const string PostgresInstallRoot = "/usr/lib/postgresql";
    private const string InstallHint = "Run scripts/install-prerequisites.sh, or start a container runtime.";

    /// <summary>
    /// Adds a Postgres server keeping its data in <paramref name="dataDirectory"/>, which
    /// <c>run-postgres.sh</c> initialises when it holds no cluster yet.
    /// </summary>
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder,
        string name,
        string dataDirectory,
        int port)
    {
        var script = Path.Combine(builder.AppHostDirectory, "run-postgres.sh");
        var server = new LocalPostgresResource(name, script, builder.AppHostDirectory, port);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks()
            .AddNpgSql($"{server.ConnectionString};Database=postgres", name: healthCheckKey);

        return builder.AddResource(server)
            .WithArgs(FindPostgresBinaries(), dataDirectory, Invariant(port))
            .WithLoopbackEndpoint(port)
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// Adds a database of <paramref name="server"/>, healthy once it exists and answers. The
    /// AppHost does not create it: the gateway's migration does.
    /// </summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalDatabase(
        this IResourceBuilder<LocalPostgresResource> server,
        string name)
    {
        var database = new LocalPostgresDatabaseResource(name, name, server.Resource);

        var healthCheckKey = $"{name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks()
            .AddNpgSql(database.ConnectionString, name: healthCheckKey);

        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", Properties = [] })
            .WithHealthCheck(healthCheckKey)
            .OnInitializeResource(MirrorServerState);
    }

    /// <summary>Adds a Redis server keeping an append-only file in <paramref name="dataDirectory"/>.</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder,
        string name,
        string dataDirectory,
        int port)
    {
        Directory.CreateDirectory(dataDirectory);
        var server = new LocalRedisResource(name, FindRedisServer(), builder.AppHostDirectory, port);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks()
            .AddRedis(server.ConnectionString, name: healthCheckKey);

        // Redis stops on SIGTERM by writing its data out, then exits.
        return builder.AddResource(server)
            .WithArgs("--bind", "127.0.0.1", "--port", Invariant(port))
            .WithArgs("--dir", dataDirectory, "--appendonly", "yes")
            .WithLoopbackEndpoint(port)
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>Shows the server's port in the dashboard; the server itself binds it, unproxied.</summary>
    private static IResourceBuilder<T> WithLoopbackEndpoint<T>(this IResourceBuilder<T> builder, int port)
        where T : ExecutableResource =>
        builder.WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false);

    /// <summary>
    /// Gives the database the state of its server, as Aspire does for the databases of a
    /// container but not for those of an executable. A database never <c>Running</c> would have
    /// its health never checked, and whatever waits for it would wait for ever.
    /// </summary>
    private static Task MirrorServerState(
        LocalPostgresDatabaseResource database,
        InitializeResourceEvent initialize,
        CancellationToken cancellationToken)
    {
        var notifications = initialize.Notifications;
        _ = Task.Run(() => MirrorServerStateAsync(database, notifications, cancellationToken), cancellationToken);

        return Task.CompletedTask;
    }

    private static async Task MirrorServerStateAsync(
        LocalPostgresDatabaseResource database,
        ResourceNotificationService notifications,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in notifications.WatchAsync(cancellationToken))
            {
                if (change.Resource == database.Parent)
                {
                    await notifications.PublishUpdateAsync(database, snapshot => snapshot with
                    {
                        State = change.Snapshot.State,
                        StartTimeStamp = change.Snapshot.StartTimeStamp,
                        StopTimeStamp = change.Snapshot.StopTimeStamp,
                    });
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>The <c>bin</c> folder of the newest PostgreSQL that Debian's packages installed.</summary>
    private static string FindPostgresBinaries()
    {
        string[] versions = Directory.Exists(PostgresInstallRoot) ? Directory.GetDirectories(PostgresInstallRoot) : [];
        var newest = versions
            .Where(version => File.Exists(Path.Combine(version, "bin", "postgres")))
            .MaxBy(version => Version.TryParse(Path.GetFileName(version) + ".0", out var number) ? number : null);

        return newest is null
            ? throw new InvalidOperationException($"No PostgreSQL under {PostgresInstallRoot}/*/bin. {InstallHint}")
            : Path.Combine(newest, "bin");
    }

    private static string FindRedisServer()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);

        return found ?? throw new InvalidOperationException($"No redis-server on the PATH. {InstallHint}");
    }

    private static string Invariant(int port) => port.ToString(CultureInfo.InvariantCulture);
}
