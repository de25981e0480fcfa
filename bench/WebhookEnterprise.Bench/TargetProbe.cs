using System.Net.Http.Json;
using WebhookEnterprise.Bench.Commands;

namespace WebhookEnterprise.Bench;

/// <summary>Reads the fast target's counts, and waits for a run to reach a number of messages.</summary>
public sealed class TargetProbe(HttpClient http, Uri target)
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);

    public async Task<TargetStats> StatsAsync(string run, bool withLatencies = false)
    {
        var query = $"?run={Uri.EscapeDataString(run)}&latencies={(withLatencies ? "true" : "false")}";
        var url = new Uri(target, TargetCommand.StatsPath + query);

        return await http.GetFromJsonAsync<TargetStats>(url, BenchJson.Options)
            ?? throw new InvalidOperationException($"The target at {target} answered no stats.");
    }

    /// <summary>
    /// Polls until <paramref name="expected"/> distinct messages of <paramref name="run"/>
    /// arrived, or the timeout passed.
    /// </summary>
    public async Task<TargetStats> WaitForAsync(string run, long expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var stats = await StatsAsync(run);
        while (stats.Distinct < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(PollEvery);
            stats = await StatsAsync(run);
        }

        return stats;
    }
}
