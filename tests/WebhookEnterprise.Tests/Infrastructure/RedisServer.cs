using StackExchange.Redis;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>A real Redis server for the test run, on its own port, keeping nothing on disk.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private ChildProcess? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(Ports.Free());
        await server.StartAgainAsync();

        return server;
    }

    /// <summary>Stops the server; it keeps no data, so <see cref="StartAgainAsync"/> starts it empty.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.KillAsync();
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async Task StartAgainAsync()
    {
        _process = ChildProcess.Start(
            "redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"]);

        await Eventually.TrueAsync(
            async () =>
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port}");

                return (await connection.GetDatabase().PingAsync()) < TimeSpan.FromSeconds(5);
            },
            $"Redis to answer on port {Port}");
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
