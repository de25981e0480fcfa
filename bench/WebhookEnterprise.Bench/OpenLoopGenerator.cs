using System.Globalization;
using System.Net.Http.Headers;

namespace WebhookEnterprise.Bench;

/// <summary>
/// What an open-loop run sends: <see cref="Rate"/> requests a second, the first
/// <see cref="WarmupRequests"/> of them as a warm-up.
/// </summary>
public sealed record OpenLoopPlan(
    Uri Url,
    AuthenticationHeaderValue Authorization,
    byte[] Body,
    int Rate,
    int WarmupRequests,
    int MeasuredRequests,
    string WarmupRun,
    string MeasuredRun);

/// <summary>How the gateway answered the requests of one run, timed from each request's scheduled send time.</summary>
public sealed record IngressTally(long Sent, long Accepted, long Refused, long Failed, LatencySummary AnswerLatency);

/// <summary>
/// Sends request <c>i</c> at <c>t0 + i / rate</c> whatever happened to the earlier ones: an
/// open loop, so that a slow gateway meets the same offered load instead of slowing the
/// sender down. Each request carries its scheduled time, and every latency is measured from
/// it, so a generator that falls behind (it fires up to about a millisecond late, in bursts
/// when it lags) adds its lag to the numbers rather than hiding a stall.
/// </summary>
public sealed class OpenLoopGenerator(HttpClient http, OpenLoopPlan plan)
{
    private readonly RunCounters _warmup = new();
    private readonly RunCounters _measured = new();
    private long _maxLagUs;

    /// <summary>The latest any request was fired after its scheduled time.</summary>
    public long MaxLagUs => Interlocked.Read(ref _maxLagUs);

    public async Task<(IngressTally Warmup, IngressTally Measured)> RunAsync()
    {
        var total = plan.WarmupRequests + plan.MeasuredRequests;
        var sends = new Task[total];
        var intervalUs = 1_000_000.0 / plan.Rate;
        var startUs = MonotonicClock.NowMicroseconds() + 100_000;

        // A thread of its own, sleeping between sends, so that a busy thread pool cannot delay
        // the schedule; sleeping rather than spinning leaves the cores to the gateway.
        var scheduler = new Thread(() =>
        {
            for (var i = 0; i < total; i++)
            {
                var scheduledUs = startUs + (long)(i * intervalUs);
                var nowUs = MonotonicClock.NowMicroseconds();
                while (nowUs < scheduledUs)
                {
                    Thread.Sleep(1);
                    nowUs = MonotonicClock.NowMicroseconds();
                }

                if (nowUs - scheduledUs > _maxLagUs)
                {
                    Interlocked.Exchange(ref _maxLagUs, nowUs - scheduledUs);
                }

                sends[i] = i < plan.WarmupRequests
                    ? SendAsync(plan.WarmupRun, scheduledUs, _warmup)
                    : SendAsync(plan.MeasuredRun, scheduledUs, _measured);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop scheduler",
        };

        scheduler.Start();
        await Task.Run(scheduler.Join);
        await Task.WhenAll(sends);

        return (_warmup.Tally(), _measured.Tally());
    }

    private async Task SendAsync(string run, long scheduledUs, RunCounters counters)
    {
        counters.Sent();
        using var request = new HttpRequestMessage(HttpMethod.Post, plan.Url)
        {
            Content = new ByteArrayContent(plan.Body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = plan.Authorization;
        var scheduled = scheduledUs.ToString(CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation(BenchHeaders.Scheduled, scheduled);
        request.Headers.TryAddWithoutValidation(BenchHeaders.Run, run);

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var answeredUs = MonotonicClock.NowMicroseconds();
            if (response.IsSuccessStatusCode)
            {
                counters.Accepted(answeredUs - scheduledUs);
            }
            else
            {
                counters.Refused();
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            counters.Failed();
        }
    }

    private sealed class RunCounters
    {
        private readonly LatencySamples _latencies = new();
        private long _sent;
        private long _accepted;
        private long _refused;
        private long _failed;

        public void Sent() => Interlocked.Increment(ref _sent);

        public void Accepted(long latencyUs)
        {
            Interlocked.Increment(ref _accepted);
            _latencies.Add(latencyUs);
        }

        public void Refused() => Interlocked.Increment(ref _refused);

        public void Failed() => Interlocked.Increment(ref _failed);

        // Refused and failed requests were answered badly or not at all: they rank as missing.
        public IngressTally Tally() =>
            new(_sent, _accepted, _refused, _failed, LatencySummary.Of(_latencies.Sorted(), _sent));
    }
}
