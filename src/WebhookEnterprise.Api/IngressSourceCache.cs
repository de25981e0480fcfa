using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core.Queue;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

/// <summary>
/// The sources ingress has looked up, kept for <see cref="ApiOptions.SourceCacheTime"/> so that a
/// webhook costs no query before its write. Any change to a source or a target through the
/// management API empties the cache of every api process at once (over Redis pub/sub); the
/// expiry bounds how long a change made while Redis was unreachable can go unseen.
/// </summary>
public sealed partial class IngressSourceCache(
    SourceRepository sources,
    IConnectionMultiplexer redis,
    IOptions<QueueOptions> queue,
    IOptions<ApiOptions> options,
    ILogger<IngressSourceCache> logger) : IHostedService
{
    private readonly ConcurrentDictionary<long, Cached> _cache = new();
    private readonly RedisChannel _changes = RedisChannel.Literal(new RedisKeys(queue.Value.KeyPrefix).SourceChangesChannel);
    private long _generation;

    /// <summary>The source with its target ids, or null when there is none with <paramref name="id"/>.</summary>
    public async ValueTask<IngressSource?> FindAsync(long id, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (_cache.TryGetValue(id, out var cached) && cached.ExpiresAt > now)
        {
            return cached.Source;
        }

        // A change committed while the query ran empties the cache meanwhile; what the query
        // read may predate it, so it is used for this request only.
        var generation = Volatile.Read(ref _generation);
        var source = await sources.FindForIngressAsync(id, cancellationToken);
        if (source is null)
        {
            _cache.TryRemove(id, out _);
        }
        else if (generation == Volatile.Read(ref _generation))
        {
            _cache[id] = new Cached(source, now + (long)options.Value.SourceCacheTime.TotalMilliseconds);
        }

        return source;
    }

    /// <summary>Forgets every source here and tells the other api processes to do the same.</summary>
    public void Changed()
    {
        Forget();
        try
        {
            redis.GetSubscriber().Publish(_changes, 1, CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            LogChangeNotPublished(logger, e, options.Value.SourceCacheTime.TotalSeconds);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(_changes, (_, _) => Forget());
        }
        catch (RedisException e)
        {
            // The client subscribes again by itself once Redis answers.
            LogChangesNotHeard(logger, e, options.Value.SourceCacheTime.TotalSeconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    private sealed record Cached(IngressSource Source, long ExpiresAt);

    [LoggerMessage(EventId = 2010, EventName = "SourceChangeNotShared", Level = LogLevel.Warning,
        Message = "Could not tell other api processes that sources changed; they see the change within {Seconds} s")]
    private static partial void LogChangeNotPublished(ILogger logger, Exception exception, double seconds);

    [LoggerMessage(EventId = 2012, EventName = "SourceChangesNotHeard", Level = LogLevel.Warning,
        Message = "Could not listen for source changes made through other api processes yet; this one sees them within {Seconds} s")]
    private static partial void LogChangesNotHeard(ILogger logger, Exception exception, double seconds);
}
