using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Queue;
using Xunit.Abstractions;

namespace WebhookEnterprise.AppHost.Tests;

/// <summary>
/// Starts the whole AppHost, as <c>dotnet run</c> would, on free ports and with its data in a
/// folder of its own. Postgres and Redis run as the machine's own servers whatever container
/// runtime there is, so that the test owns its data and leaves nothing behind: Debian's
/// servers, which makes this a Linux test.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class AppHostTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private static readonly UnixFileMode ReachableByAll = UnixFileMode.UserRead | UnixFileMode.UserWrite
        | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    [Fact]
    public async Task AppHost_StartsHealthyAndConsumesAJob()
    {
        var dataPath = Directory.CreateTempSubdirectory("webhook-apphost-tests-").FullName;

        // Made for its owner only; run as root, Postgres runs as the postgres user, who must get in.
        File.SetUnixFileMode(dataPath, ReachableByAll);
        var clock = Stopwatch.StartNew();
        try
        {
            await StartAndProbeAsync(dataPath, clock);
        }
        finally
        {
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: stopped");
            Directory.Delete(dataPath, recursive: true);
        }
    }

    private async Task StartAndProbeAsync(string dataPath, Stopwatch clock)
    {
        using var timeout = new CancellationTokenSource(StartTimeout + SettleTimeout * 2);
        var ports = FreePorts(3);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.WebhookEnterprise_AppHost>(
            [
                "--LocalStores:Mode=Executables",
                $"--LocalStores:DataPath={dataPath}",
                $"--LocalStores:PostgresPort={ports[0]}",
                $"--LocalStores:RedisPort={ports[1]}",
                $"--Api:Port={ports[2]}",
            ],
            timeout.Token);

        await using var app = await appHost.BuildAsync(timeout.Token);

        // Starting returns once every resource has started, after the waits on the stores and migrate.
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
        {
            started.CancelAfter(StartTimeout);
            await app.StartAsync(started.Token);
            foreach (var resource in (string[])["postgres", "webhooks", "redis", "api"])
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, started.Token);
            }
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: stores and api healthy");

        // Healthy means both stores answer the api; "running" also needs a worker's heartbeat.
        using var http = app.CreateHttpClient("api", "http");
        var health = await PollAsync(() => GetHealthAsync(http, timeout.Token), IsRunning, timeout.Token);
        Assert.True(IsRunning(health), $"GET /health answered {health}");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {health}");

        var redisConnectionString = await app.GetConnectionStringAsync("redis", timeout.Token);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString!);
        var keys = new RedisKeys(new QueueOptions().KeyPrefix);
        var database = redis.GetDatabase();

        // A delivery that no row names: a worker acknowledges the entry and removes it.
        var entryId = await database.StreamAddAsync(
            keys.DeliveryStream,
            RedisKeys.DeliveryField,
            Ids.Format(Ids.New()));
        var consumed = await PollAsync(() => IsConsumedAsync(database, keys, entryId), done => done, timeout.Token);

        Assert.True(consumed, $"the group {RedisKeys.WorkerGroup} did not acknowledge entry {entryId} in time");
        Assert.Empty(await database.StreamRangeAsync(keys.DeliveryStream, entryId, entryId));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: entry {entryId} consumed");
    }

    private static async Task<string?> GetHealthAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetStringAsync(new Uri("/health", UriKind.Relative), cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    private static bool IsRunning(string? health)
    {
        try
        {
            using var document = JsonDocument.Parse(health ?? "");

            return document.RootElement.GetProperty("status").GetString() == "running"
                && document.RootElement.GetProperty("issues").GetArrayLength() == 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Whether the worker group has read <paramref name="entryId"/> and holds nothing pending.</summary>
    private static async Task<bool> IsConsumedAsync(IDatabase database, RedisKeys keys, RedisValue entryId)
    {
        var groups = await database.StreamGroupInfoAsync(keys.DeliveryStream);
        var workers = groups.FirstOrDefault(group => group.Name == RedisKeys.WorkerGroup);
        if (workers.LastDeliveredId is not { } lastDelivered)
        {
            return false;
        }

        var pending = await database.StreamPendingAsync(keys.DeliveryStream, RedisKeys.WorkerGroup);

        return pending.PendingMessageCount == 0 && CompareEntryIds(lastDelivered, entryId.ToString()) >= 0;
    }

    /// <summary>Orders stream entry ids, <c>milliseconds-sequence</c>, as Redis does.</summary>
    private static int CompareEntryIds(string left, string right)
    {
        static (long Milliseconds, long Sequence) Parse(string id)
        {
            var parts = id.Split('-');

            return (
                long.Parse(parts[0], CultureInfo.InvariantCulture),
                long.Parse(parts[1], CultureInfo.InvariantCulture));
        }

        return Parse(left).CompareTo(Parse(right));
    }

    /// <summary>Probes until <paramref name="done"/> holds or <see cref="SettleTimeout"/> has passed.</summary>
    private static async Task<T> PollAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> done,
        CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + SettleTimeout;
        var answer = await probe();
        while (!done(answer) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(PollInterval, cancellationToken);
            answer = await probe();
        }

        return answer;
    }

    /// <summary>Ports the system had free just now, distinct from one another.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }
}
