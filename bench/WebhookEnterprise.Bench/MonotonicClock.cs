using System.Diagnostics;

namespace WebhookEnterprise.Bench;

/// <summary>
/// Microseconds on the machine's monotonic clock. On Linux <see cref="Stopwatch"/> reads
/// <c>CLOCK_MONOTONIC</c>, which every process on the machine shares, so a time taken in the
/// load generator and one taken in the target subtract exactly, and no wall-clock step
/// (NTP) can bend a measured latency.
/// </summary>
public static class MonotonicClock
{
    private static readonly double TicksPerMicrosecond = Stopwatch.Frequency / 1_000_000.0;

    public static long NowMicroseconds() => ToMicroseconds(Stopwatch.GetTimestamp());

    public static long ToMicroseconds(long timestamp) => (long)(timestamp / TicksPerMicrosecond);
}
