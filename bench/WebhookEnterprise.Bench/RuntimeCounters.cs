using System.Globalization;

namespace WebhookEnterprise.Bench;

/// <summary>
/// One process's .NET runtime counters over a phase, from the CSV that
/// <c>dotnet-counters collect --refresh-interval 1</c> wrote: rates are means of the
/// once-a-second samples taken within the phase (the session starts before it and stops
/// after it), queue length, threads and working set their largest sample.
/// </summary>
public sealed record RuntimeCounters(
    string Process,
    int Samples,
    double CpuCores,
    double JitCores,
    double AllocatedBytesPerSecond,
    double Gen0PerSecond,
    double Gen1PerSecond,
    double Gen2PerSecond,
    double GcPauseShare,
    double LockContentionsPerSecond,
    long MaxThreadPoolQueue,
    long MaxThreadPoolThreads,
    long MaxWorkingSetBytes)
{
    public static async Task<RuntimeCounters> ReadAsync(
        string process,
        string csvPath,
        DateTimeOffset from,
        DateTimeOffset to)
    {
        var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var line in (await File.ReadAllLinesAsync(csvPath)).Skip(1))
        {
            // Timestamp,Provider,Counter Name,Counter Type,Mean/Increment; only the name may hold a
            // comma. The timestamp is local time, to the second, at the end of the sample's second.
            var fields = line.Split(',');
            if (fields.Length < 5
                || !double.TryParse(fields[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                || !TryParseTime(fields[0], out var at)
                || at < from.AddSeconds(1)
                || at > to.AddSeconds(1))
            {
                continue;
            }

            var name = string.Join(',', fields[2..^2]);
            if (!samples.TryGetValue(name, out var values))
            {
                samples[name] = values = [];
            }

            values.Add(value);
        }

        double Mean(string prefix, string? tag = null) => Values(prefix, tag).DefaultIfEmpty(0).Average();
        double Max(string prefix) => Values(prefix, null).DefaultIfEmpty(0).Max();
        IEnumerable<double> Values(string prefix, string? tag) => samples
            .Where(entry => entry.Key.StartsWith(prefix + " (", StringComparison.Ordinal)
                && (tag is null || entry.Key.EndsWith(tag + "]", StringComparison.Ordinal)))
            .SelectMany(entry => entry.Value);

        return new RuntimeCounters(
            process,
            samples.Values.Select(values => values.Count).DefaultIfEmpty(0).Max(),
            Mean("dotnet.process.cpu.time", "cpu.mode=user") + Mean("dotnet.process.cpu.time", "cpu.mode=system"),
            Mean("dotnet.jit.compilation.time"),
            Mean("dotnet.gc.heap.total_allocated"),
            Mean("dotnet.gc.collections", "gen0"),
            Mean("dotnet.gc.collections", "gen1"),
            Mean("dotnet.gc.collections", "gen2"),
            Mean("dotnet.gc.pause.time"),
            Mean("dotnet.monitor.lock_contentions"),
            (long)Max("dotnet.thread_pool.queue.length"),
            (long)Max("dotnet.thread_pool.thread.count"),
            (long)Max("dotnet.process.memory.working_set"));
    }

    private static bool TryParseTime(string text, out DateTimeOffset at)
    {
        var parsed = DateTime.TryParseExact(
            text,
            "MM/dd/yyyy HH:mm:ss",
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeLocal,
            out var local);
        at = parsed ? new DateTimeOffset(local) : default;

        return parsed;
    }
}
