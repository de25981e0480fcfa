namespace WebhookEnterprise.Bench;

/// <summary>Latencies in microseconds, kept whole so that percentiles are exact (nearest rank).</summary>
public sealed class LatencySamples
{
    private readonly List<long> _samples = [];
    private readonly Lock _lock = new();

    public void Add(long microseconds)
    {
        lock (_lock)
        {
            _samples.Add(microseconds);
        }
    }

    public long[] Sorted()
    {
        long[] sorted;
        lock (_lock)
        {
            sorted = [.. _samples];
        }

        Array.Sort(sorted);

        return sorted;
    }
}

/// <summary>
/// Percentiles of a population of latencies, in microseconds. Members of the population that
/// never arrived rank above every sample and show as <see cref="Missing"/>, so that a lost or
/// late request raises a percentile instead of vanishing from it.
/// </summary>
public sealed record LatencySummary(
    long Count,
    long Population,
    long P50Us,
    long P90Us,
    long P99Us,
    long P999Us,
    long MaxUs)
{
    public const long Missing = -1;

    public static LatencySummary Of(long[] sorted, long? population = null)
    {
        var size = Math.Max(population ?? sorted.Length, sorted.Length);

        return new LatencySummary(
            sorted.Length,
            size,
            Rank(sorted, size, 0.50),
            Rank(sorted, size, 0.90),
            Rank(sorted, size, 0.99),
            Rank(sorted, size, 0.999),
            sorted.Length == size && size > 0 ? sorted[^1] : Missing);
    }

    private static long Rank(long[] sorted, long size, double quantile)
    {
        if (size == 0)
        {
            return Missing;
        }

        var rank = (long)Math.Ceiling(quantile * size);

        return rank <= sorted.Length ? sorted[Math.Max(rank, 1) - 1] : Missing;
    }
}
