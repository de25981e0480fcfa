namespace WebhookEnterprise.Bench;

/// <summary>What wrk's <c>done()</c> in <c>bench/ingest.lua</c> writes: one closed-loop ingest run.</summary>
public sealed record WrkResult(long Requests, long DurationUs, WrkErrors Errors, WrkLatency LatencyUs)
{
    /// <summary>
    /// Requests answered below 400; the gateway and the baseline answer 200 or an error, so
    /// these are the 2xx.
    /// </summary>
    public long Answered => Requests - Errors.Status;

    public double PerSecond => DurationUs > 0 ? Answered / (DurationUs / 1e6) : 0;
}

public sealed record WrkErrors(long Connect, long Read, long Write, long Status, long Timeout)
{
    public long Socket => Connect + Read + Write + Timeout;
}

public sealed record WrkLatency(long P50, long P90, long P99, long P999, long Max, double Mean);

/// <summary>The open-loop end-to-end run: what the gateway answered, and what reached the target and when.</summary>
public sealed record EndToEndResult(
    int Rate,
    int Seconds,
    int WarmupSeconds,
    long MaxFireLagUs,
    IngressTally Ingress,
    long Delivered,
    long Duplicates,
    LatencySummary DeliveryLatency,
    bool Complete);

/// <summary>A backlog delivered to the target: how many, and in how long from the first arrival to the last.</summary>
public sealed record DrainResult(
    string Run,
    long Expected,
    long Received,
    long Distinct,
    double Seconds,
    double PerSecond,
    bool Complete);

/// <summary>
/// What <c>bench/run.sh</c> records around one phase: CPU seconds by process group, Postgres's
/// counters, and each process's peak resident memory (kB) so far.
/// </summary>
public sealed record PhaseResult(
    string Name,
    double StartedUnix,
    double EndedUnix,
    double WallS,
    double MachineBusyPct,
    Dictionary<string, double> CpuS,
    PostgresCounters Pg,
    Dictionary<string, long> PeakKb);

/// <summary>
/// Postgres's own counts over a phase: transactions committed (read-only ones too), WAL written
/// and flushed, and the time spent flushing.
/// </summary>
public sealed record PostgresCounters(long Commits, long WalRecords, long WalSyncs, long WalBytes, double WalSyncMs);

/// <summary>The machine and the versions the run measured on, and a probe of the disk's flush latency.</summary>
public sealed record MachineInfo(
    int Cores,
    string Processor,
    long MemoryBytes,
    string Os,
    string Runtime,
    string Postgres,
    string Redis,
    string Wrk,
    string DataFileSystem,
    LatencySummary FsyncLatency);

/// <summary>The settings of the run, as <c>bench/run.sh</c> was given them.</summary>
public sealed record BenchSettings(
    int Connections,
    int WrkThreads,
    int IngestSeconds,
    int WarmupSeconds,
    int E2eRate,
    int E2eSeconds,
    int Deliveries,
    int Workers,
    int WorkerWarmupSeconds,
    int BodyBytes,
    string Command);

/// <summary>Rows stored by each ingest endpoint over its warm-up and measured runs.</summary>
public sealed record StoredRows(long Api, long Baseline);
