using System.Diagnostics;
using Npgsql;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server for the test run: its own port and a temporary data folder,
/// removed on dispose. PostgreSQL refuses to run as root, so as root it runs as the
/// <c>postgres</c> user.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _root;
    private ChildProcess? _process;

    private PostgresServer(string root, int port)
    {
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public string DataPath => Path.Combine(_root, "data");

    public static async Task<PostgresServer> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("webhook-tests-pg-").FullName;
        var server = new PostgresServer(root, Ports.Free());
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres:postgres", root]);
        }

        await RunAsync(AsServerUser(Binary("initdb")), [.. AsServerUserArguments(Binary("initdb")), "-D", server.DataPath, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        await server.StartProcessAsync();

        return server;
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Timeout = 5,
        }.ConnectionString;

    /// <summary>Stops the server cleanly, as an operator would; <see cref="StartAgainAsync"/> brings it back with its data.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            // SIGINT is Postgres's fast shutdown: it does not wait for clients to disconnect.
            await _process.InterruptAsync(TimeSpan.FromSeconds(30));
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public Task StartAgainAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task StartProcessAsync()
    {
        var postgres = Binary("postgres");
        _process = ChildProcess.Start(
            AsServerUser(postgres),
            [.. AsServerUserArguments(postgres), "-D", DataPath, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-k", _root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300"]);

        // Unpooled, and with a query: a pooled connection left from before a stop opens at once
        // whether or not the server is back.
        var probe = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ConnectionString;
        await Eventually.TrueAsync(
            async () =>
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1", connection);

                return await command.ExecuteScalarAsync() is 1;
            },
            $"Postgres to accept connections on port {Port}:\n{_process.Output}");
    }

    private static string Binary(string name)
    {
        var version = Directory.GetDirectories("/usr/lib/postgresql")
            .OrderByDescending(path => int.TryParse(Path.GetFileName(path), out var number) ? number : 0)
            .First();

        return Path.Combine(version, "bin", name);
    }

    private static string AsServerUser(string binary) => Environment.UserName == "root" ? "setpriv" : binary;

    private static string[] AsServerUserArguments(string binary) =>
        Environment.UserName == "root" ? ["--reuid=postgres", "--regid=postgres", "--init-groups", binary] : [];

    private static async Task RunAsync(string fileName, string[] arguments)
    {
        await using var process = ChildProcess.Start(fileName, arguments);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed:\n{process.Output}");
        }
    }
}
