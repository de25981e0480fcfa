using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace WebhookEnterprise.Bench;

/// <summary>
/// What the target saw of one run, as <c>GET /_bench/stats?run=NAME&amp;latencies=true</c>
/// answers it.
/// </summary>
public sealed record TargetStats(
    string Run,
    long Received,
    long Distinct,
    long FirstUs,
    long LastUs,
    long[] LatenciesUs);

/// <summary>
/// A target that does as little as a target can: it reads the request, answers 200 with no
/// body, and counts. For each run it keeps the arrivals, the distinct messages (a repeated
/// delivery of one message counts once) and, for requests that carry a scheduled send time,
/// the latency from that time to the first arrival of the message.
/// </summary>
public sealed class FastTarget
{
    private readonly ConcurrentDictionary<string, RunTally> _runs = new(StringComparer.Ordinal);

    public async Task ReceiveAsync(HttpContext context)
    {
        var arrivedUs = MonotonicClock.NowMicroseconds();
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);

        var headers = context.Request.Headers;
        var tally = _runs.GetOrAdd(headers[BenchHeaders.Run].ToString(), static _ => new RunTally());
        var scheduled = headers[BenchHeaders.Scheduled].ToString();
        long? scheduledUs = long.TryParse(scheduled, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
        tally.Record(arrivedUs, headers[BenchHeaders.MessageId].ToString(), scheduledUs);

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>
    /// The counts of <paramref name="run"/>, with every latency sample when
    /// <paramref name="withLatencies"/>.
    /// </summary>
    public TargetStats Stats(string run, bool withLatencies) =>
        _runs.TryGetValue(run, out var tally) ? tally.Stats(run, withLatencies) : new TargetStats(run, 0, 0, 0, 0, []);

    private sealed class RunTally
    {
        private readonly ConcurrentDictionary<string, byte> _messages = new(StringComparer.Ordinal);
        private readonly LatencySamples _latencies = new();
        private readonly Lock _lock = new();
        private long _received;
        private long _firstUs = long.MaxValue;
        private long _lastUs;

        public void Record(long arrivedUs, string messageId, long? scheduledUs)
        {
            lock (_lock)
            {
                _received++;
                _firstUs = Math.Min(_firstUs, arrivedUs);
                _lastUs = Math.Max(_lastUs, arrivedUs);
            }

            var first = messageId.Length == 0 || _messages.TryAdd(messageId, 0);
            if (first && scheduledUs is { } scheduled)
            {
                _latencies.Add(arrivedUs - scheduled);
            }
        }

        public TargetStats Stats(string run, bool withLatencies)
        {
            lock (_lock)
            {
                return new TargetStats(
                    run,
                    _received,
                    _messages.IsEmpty ? _received : _messages.Count,
                    _firstUs == long.MaxValue ? 0 : _firstUs,
                    _lastUs,
                    withLatencies ? _latencies.Sorted() : []);
            }
        }
    }
}
