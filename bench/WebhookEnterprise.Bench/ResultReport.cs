using System.Globalization;
using System.Text;

namespace WebhookEnterprise.Bench;

/// <summary>Every result file of one run of <c>bench/run.sh</c>, read from its results folder.</summary>
public sealed record RunResults(
    BenchSettings Settings,
    MachineInfo Machine,
    WrkResult IngestApi,
    WrkResult IngestBaseline,
    StoredRows Stored,
    long AnsweredApi,
    long AnsweredBaseline,
    DrainResult Delivery,
    EndToEndResult EndToEnd,
    Dictionary<string, long> PeakResidentKb,
    IReadOnlyList<PhaseResult> Phases,
    IReadOnlyDictionary<string, string> Statements,
    IReadOnlyDictionary<string, IReadOnlyList<RuntimeCounters>> Counters);

/// <summary>
/// The results page of one run: the numbers against the goals first, then what each number
/// is made of, the CPU each process used in each phase, and the machine.
/// </summary>
public static class ResultReport
{
    public const double IngestFactorGoal = 2.0;
    public const double EndToEndP99GoalMs = 50;
    public const double DeliveriesGoal = 5000;
    public const double ResidentGoalMb = 250;

    private static readonly string[] ProcessGroups = ["api", "workers", "baseline", "postgres", "redis", "target", "load"];

    public static string Write(RunResults results, DateTimeOffset at)
    {
        var s = results.Settings;
        var text = new StringBuilder();
        text.AppendLine(Invariant($"# Benchmark run of {at:yyyy-MM-dd HH:mm} UTC"));
        text.AppendLine();
        text.AppendLine(Invariant($"{results.Machine.Cores} cores ({results.Machine.Processor}), {results.Machine.MemoryBytes / (double)(1L << 30):0.#} GiB, {results.Machine.Os}; {results.Machine.Runtime}; {results.Machine.Postgres}; {results.Machine.Redis}."));
        text.AppendLine("Postgres runs with `fsync=on` and `synchronous_commit=on`, as in production: every 2xx below stands for a flushed commit.");
        text.AppendLine();
        WriteGoals(text, results);
        WriteIngest(text, results);
        WriteEndToEnd(text, results.EndToEnd);
        WriteDelivery(text, results);
        WritePhases(text, results.Phases);
        WritePostgres(text, results);
        WriteRuntime(text, results);
        WriteStatements(text, results.Statements);
        WriteMemory(text, results.PeakResidentKb, results.Phases);
        WriteMachine(text, results.Machine);
        text.AppendLine("## Command");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine(s.Command);
        text.AppendLine("```");

        return text.ToString();
    }

    /// <summary>Why a run cannot be reported as a measurement at all, or null when it can.</summary>
    public static string? Broken(RunResults results) =>
        results.IngestApi.Answered == 0 ? "the gateway answered no ingest request with 2xx"
        : results.IngestBaseline.Answered == 0 ? "the baseline answered no ingest request with 2xx"
        : results.Delivery.Distinct == 0 ? "no queued message reached the target"
        : results.EndToEnd.Delivered == 0 ? "no message of the open-loop run reached the target"
        : null;

    private static void WriteGoals(StringBuilder text, RunResults results)
    {
        var api = results.IngestApi;
        var baseline = results.IngestBaseline;
        var e2e = results.EndToEnd.DeliveryLatency;
        var apiMb = Megabytes(results.PeakResidentKb.GetValueOrDefault("api"));
        var baselineMb = Megabytes(results.PeakResidentKb.GetValueOrDefault("baseline"));
        var workerMb = results.PeakResidentKb.Where(entry => entry.Key.StartsWith("worker", StringComparison.Ordinal))
            .Select(entry => Megabytes(entry.Value))
            .DefaultIfEmpty(0)
            .Max();
        var factor = baseline.PerSecond > 0 ? api.PerSecond / baseline.PerSecond : 0;

        text.AppendLine("## Against the goals");
        text.AppendLine();
        text.AppendLine("| measure | gateway | baseline | goal | met |");
        text.AppendLine("| --- | ---: | ---: | --- | :---: |");
        text.AppendLine(Invariant($"| ingest, webhooks/s answered 2xx, {results.Settings.Connections} connections | {api.PerSecond:N0} | {baseline.PerSecond:N0} | ≥ {IngestFactorGoal:0} × baseline = {IngestFactorGoal * baseline.PerSecond:N0} (now {factor:0.00} ×) | {Met(factor >= IngestFactorGoal)} |"));
        text.AppendLine(Invariant($"| ingest latency p50 | {Ms(api.LatencyUs.P50)} | {Ms(baseline.LatencyUs.P50)} | | |"));
        text.AppendLine(Invariant($"| ingest latency p99 | {Ms(api.LatencyUs.P99)} | {Ms(baseline.LatencyUs.P99)} | ≤ baseline's | {Met(api.LatencyUs.P99 <= baseline.LatencyUs.P99)} |"));
        text.AppendLine(Invariant($"| end to end p50, open loop at {results.EndToEnd.Rate:N0}/s | {Ms(e2e.P50Us)} | | | |"));
        text.AppendLine(Invariant($"| end to end p99, open loop at {results.EndToEnd.Rate:N0}/s | {Ms(e2e.P99Us)} | | ≤ {EndToEndP99GoalMs:0} ms | {Met(e2e.P99Us != LatencySummary.Missing && e2e.P99Us <= EndToEndP99GoalMs * 1000)} |"));
        text.AppendLine(Invariant($"| deliveries/s to a fast target, {results.Settings.Workers} workers | {results.Delivery.PerSecond:N0} | | ≥ {DeliveriesGoal:N0} | {Met(results.Delivery.Complete && results.Delivery.PerSecond >= DeliveriesGoal)} |"));
        text.AppendLine(Invariant($"| peak resident memory (VmHWM), api | {apiMb:N0} MB | {baselineMb:N0} MB | ≤ {ResidentGoalMb:0} MB | {Met(apiMb > 0 && apiMb <= ResidentGoalMb)} |"));
        text.AppendLine(Invariant($"| peak resident memory (VmHWM), largest worker | {workerMb:N0} MB | | ≤ {ResidentGoalMb:0} MB | {Met(workerMb > 0 && workerMb <= ResidentGoalMb)} |"));
        text.AppendLine();
    }

    private static void WriteIngest(StringBuilder text, RunResults results)
    {
        var s = results.Settings;
        var api = results.IngestApi;
        var baseline = results.IngestBaseline;

        text.AppendLine("## Ingest");
        text.AppendLine();
        text.AppendLine(Invariant($"Closed loop: wrk, {s.WrkThreads} threads, {s.Connections} connections, {s.IngestSeconds} s measured after {s.WarmupSeconds} s of warm-up, each request a POST of a {s.BodyBytes:N0}-byte JSON body with the source's Basic credentials. No worker runs meanwhile: the gateway's source has one target, so each webhook stores a message and one delivery and queues one job, which wait."));
        text.AppendLine();
        text.AppendLine("| | gateway | baseline |");
        text.AppendLine("| --- | ---: | ---: |");
        text.AppendLine(Invariant($"| answered 2xx | {api.Answered:N0} | {baseline.Answered:N0} |"));
        text.AppendLine(Invariant($"| answered 4xx/5xx | {api.Errors.Status:N0} | {baseline.Errors.Status:N0} |"));
        text.AppendLine(Invariant($"| socket errors and timeouts | {api.Errors.Socket:N0} | {baseline.Errors.Socket:N0} |"));
        text.AppendLine(Invariant($"| latency p50 / p90 / p99 / p99.9 / max | {Ms(api.LatencyUs.P50)} / {Ms(api.LatencyUs.P90)} / {Ms(api.LatencyUs.P99)} / {Ms(api.LatencyUs.P999)} / {Ms(api.LatencyUs.Max)} | {Ms(baseline.LatencyUs.P50)} / {Ms(baseline.LatencyUs.P90)} / {Ms(baseline.LatencyUs.P99)} / {Ms(baseline.LatencyUs.P999)} / {Ms(baseline.LatencyUs.Max)} |"));
        text.AppendLine(Invariant($"| messages stored / answered 2xx, warm-up included | {results.Stored.Api:N0} / {results.AnsweredApi:N0} | {results.Stored.Baseline:N0} / {results.AnsweredBaseline:N0} |"));
        text.AppendLine();
        text.AppendLine("A message stored but not answered is one whose answer wrk never read because the run ended; a 2xx without a stored message would be a lost message.");
        text.AppendLine();
    }

    private static void WriteEndToEnd(StringBuilder text, EndToEndResult e2e)
    {
        var latency = e2e.DeliveryLatency;
        var answer = e2e.Ingress.AnswerLatency;

        text.AppendLine("## End to end");
        text.AppendLine();
        text.AppendLine(Invariant($"Open loop: {e2e.Rate:N0} webhooks/s for {e2e.Seconds} s after {e2e.WarmupSeconds} s of warm-up at the same rate, each timed from its scheduled send time to its first arrival at the target. A webhook refused, failed or not delivered counts as slower than every delivered one."));
        text.AppendLine();
        text.AppendLine("| | |");
        text.AppendLine("| --- | ---: |");
        text.AppendLine(Invariant($"| sent / answered 2xx / answered otherwise / failed | {e2e.Ingress.Sent:N0} / {e2e.Ingress.Accepted:N0} / {e2e.Ingress.Refused:N0} / {e2e.Ingress.Failed:N0} |"));
        text.AppendLine(Invariant($"| delivered / duplicates / sent but never delivered | {e2e.Delivered:N0} / {e2e.Duplicates:N0} / {Math.Max(0, e2e.Ingress.Sent - e2e.Delivered):N0} |"));
        text.AppendLine(Invariant($"| scheduled → target, p50 / p90 / p99 / p99.9 / max | {Ms(latency.P50Us)} / {Ms(latency.P90Us)} / {Ms(latency.P99Us)} / {Ms(latency.P999Us)} / {Ms(latency.MaxUs)} |"));
        text.AppendLine(Invariant($"| scheduled → 2xx answer, p50 / p99 | {Ms(answer.P50Us)} / {Ms(answer.P99Us)} |"));
        text.AppendLine(Invariant($"| latest the generator fired a request | {Ms(e2e.MaxFireLagUs)} after its time |"));
        text.AppendLine();
    }

    private static void WriteDelivery(StringBuilder text, RunResults results)
    {
        var delivery = results.Delivery;

        text.AppendLine("## Delivery throughput");
        text.AppendLine();
        text.AppendLine(Invariant($"The ingest run leaves its jobs queued; the newest {delivery.Expected:N0} are kept, hidden from the workers' consumer group. {results.Settings.Workers} workers (default settings) start, warm up on {results.Settings.WorkerWarmupSeconds} s of live traffic at a quarter of the end-to-end rate, then the group is moved back to the start of the stream and they deliver the backlog to the fast target. The rate is distinct messages over the time from the first arrival to the last."));
        text.AppendLine();
        text.AppendLine(Invariant($"- delivered {delivery.Distinct:N0} of {delivery.Expected:N0} ({(delivery.Complete ? "all" : "NOT all, within the time allowed")}), {delivery.Received - delivery.Distinct:N0} duplicates, in {delivery.Seconds:0.00} s: **{delivery.PerSecond:N0}/s**"));
        text.AppendLine();
    }

    private static void WritePhases(StringBuilder text, IReadOnlyList<PhaseResult> phases)
    {
        text.AppendLine("## CPU by phase");
        text.AppendLine();
        text.AppendLine("Percent of one core over each measured phase (the whole machine is cores × 100 %). `load` is wrk or the open-loop generator; `machine` is every process on the machine, ours or not: where it is well above the sum of ours, something else was running.");
        text.AppendLine();
        text.AppendLine("| phase | seconds | " + string.Join(" | ", ProcessGroups) + " | machine |");
        text.AppendLine("| --- | ---: | " + string.Join(" | ", ProcessGroups.Select(_ => "---:")) + " | ---: |");
        foreach (var phase in phases)
        {
            var cells = ProcessGroups.Select(group =>
                phase.CpuS.TryGetValue(group, out var seconds) && phase.WallS > 0
                    ? Invariant($"{100 * seconds / phase.WallS:0}")
                    : "");
            text.AppendLine(Invariant($"| {phase.Name} | {phase.WallS:0.0} | {string.Join(" | ", cells)} | {phase.MachineBusyPct:0} |"));
        }

        text.AppendLine();
    }

    /// <summary>What each phase handled: webhooks answered, messages delivered, or webhooks sent (warm-up included) end to end.</summary>
    private static Dictionary<string, long> Items(RunResults results) => new(StringComparer.Ordinal)
    {
        ["ingest-baseline"] = results.IngestBaseline.Answered,
        ["ingest-api"] = results.IngestApi.Answered,
        ["delivery"] = results.Delivery.Distinct,
        ["e2e"] = results.EndToEnd.Ingress.Sent + ((long)results.EndToEnd.WarmupSeconds * results.EndToEnd.Rate),
    };

    private static void WritePostgres(StringBuilder text, RunResults results)
    {
        var items = Items(results);

        text.AppendLine("## Postgres by phase");
        text.AppendLine();
        text.AppendLine("Per item: a webhook answered in the ingest phases, a message delivered in the delivery phase, a webhook sent (warm-up included) in the end-to-end phase, which both stores and delivers it. Transactions include read-only ones and the `DISCARD ALL` Npgsql sends when a pooled connection is reused. Concurrent commits share one WAL flush: the fewer flushes per item, the more group commit helps.");
        text.AppendLine();
        text.AppendLine("| phase | items | transactions per item | WAL bytes per item | WAL flushes per second | items per WAL flush | ms flushing WAL per second |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var phase in results.Phases)
        {
            var count = items.GetValueOrDefault(phase.Name);
            var pg = phase.Pg;
            text.AppendLine(Invariant($"| {phase.Name} | {count:N0} | {PerWebhook(pg.Commits, count)} | {PerWebhook(pg.WalBytes, count, "N0")} | {PerSecond(pg.WalSyncs, phase.WallS)} | {PerWebhookInverse(pg.WalSyncs, count)} | {PerSecond(pg.WalSyncMs, phase.WallS)} |"));
        }

        text.AppendLine();
    }

    private static void WriteRuntime(StringBuilder text, RunResults results)
    {
        if (results.Counters.Count == 0)
        {
            return;
        }

        var items = Items(results);
        text.AppendLine("## .NET runtime by phase");
        text.AppendLine();
        text.AppendLine(Invariant($"From `dotnet-counters`, once a second over each measured phase: rates are means, queue, threads and working set the largest sample. CPU is seconds per second; JIT is the time threads spent compiling, per second, which on a busy machine includes time they waited for a core. JIT well above zero means the process had not finished compiling its hot paths (tiered compilation): the warm-up was too short for this machine. Allocation per item counts each worker for 1/{results.Settings.Workers} of the items."));
        text.AppendLine();
        text.AppendLine("| phase | process | CPU, s/s | JIT, s/s | allocated, MB/s | KB per item | GCs/s gen0 / gen1 / gen2 | time in GC pauses | lock contentions/s | thread pool queue, max | thread pool threads, max | working set, max MB |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (phase, processes) in results.Counters)
        {
            var wall = Phase(results.Phases, phase)?.WallS ?? 0;
            var count = items.GetValueOrDefault(phase);
            foreach (var c in processes)
            {
                var share = c.Process.StartsWith("worker", StringComparison.Ordinal) ? 1.0 / results.Settings.Workers : 1.0;
                var perItem = count > 0 && wall > 0 ? Invariant($"{c.AllocatedBytesPerSecond * wall / (count * share) / 1024:N1}") : "";
                text.AppendLine(Invariant($"| {phase} | {c.Process} | {c.CpuCores:0.00} | {c.JitCores:0.00} | {c.AllocatedBytesPerSecond / 1e6:N1} | {perItem} | {c.Gen0PerSecond:0.0} / {c.Gen1PerSecond:0.00} / {c.Gen2PerSecond:0.00} | {100 * c.GcPauseShare:0.0} % | {c.LockContentionsPerSecond:N0} | {c.MaxThreadPoolQueue:N0} | {c.MaxThreadPoolThreads} | {c.MaxWorkingSetBytes / 1e6:N0} |"));
            }
        }

        text.AppendLine();
    }

    private static void WriteStatements(StringBuilder text, IReadOnlyDictionary<string, string> statements)
    {
        if (statements.Count == 0)
        {
            return;
        }

        text.AppendLine("## Postgres statements by phase");
        text.AppendLine();
        text.AppendLine("From `pg_stat_statements`, reset at the start of each measured phase: the statements that took Postgres the most time (execution only; waiting for the WAL flush at commit is not in it).");
        text.AppendLine();
        foreach (var (phase, table) in statements)
        {
            text.AppendLine(Invariant($"<details><summary>{phase}</summary>"));
            text.AppendLine();
            text.AppendLine("```");
            text.AppendLine(table.TrimEnd());
            text.AppendLine("```");
            text.AppendLine();
            text.AppendLine("</details>");
            text.AppendLine();
        }
    }

    private static void WriteMemory(StringBuilder text, Dictionary<string, long> peakResidentKb, IReadOnlyList<PhaseResult> phases)
    {
        text.AppendLine("## Peak resident memory");
        text.AppendLine();
        text.AppendLine("VmHWM from `/proc/PID/status` in MB (10⁶ bytes): the most each process has held resident since it started, read after each phase, so a column shows the peak up to the end of that phase.");
        text.AppendLine();
        text.AppendLine("| process | " + string.Join(" | ", phases.Select(phase => "after " + phase.Name)) + " |");
        text.AppendLine("| --- | " + string.Join(" | ", phases.Select(_ => "---:")) + " |");
        foreach (var process in peakResidentKb.Keys.Order(StringComparer.Ordinal))
        {
            var cells = phases.Select(phase =>
                phase.PeakKb.TryGetValue(process, out var peak) && peak > 0 ? Invariant($"{Megabytes(peak):N0}") : "");
            text.AppendLine(Invariant($"| {process} | {string.Join(" | ", cells)} |"));
        }

        text.AppendLine();
    }

    private static void WriteMachine(StringBuilder text, MachineInfo machine)
    {
        var flush = machine.FsyncLatency;

        text.AppendLine("## Machine");
        text.AppendLine();
        text.AppendLine(Invariant($"- {machine.Cores} cores, {machine.Processor}; {machine.MemoryBytes / (double)(1L << 30):0.#} GiB; {machine.Os}"));
        text.AppendLine(Invariant($"- {machine.Runtime}; {machine.Postgres}; {machine.Redis}; {machine.Wrk}"));
        text.AppendLine(Invariant($"- Postgres data on {machine.DataFileSystem}: an 8 KiB write and fsync takes {Ms(flush.P50Us)} (median), {Ms(flush.P99Us)} (p99) over {flush.Count} tries"));
        text.AppendLine();
    }

    private static PhaseResult? Phase(IReadOnlyList<PhaseResult> phases, string name) =>
        phases.FirstOrDefault(phase => phase.Name == name);

    private static string Met(bool met) => met ? "yes" : "**no**";

    private static string Ms(long microseconds) =>
        microseconds == LatencySummary.Missing ? "not delivered" : Invariant($"{microseconds / 1000.0:0.0} ms");

    private static double Megabytes(long kilobytes) => kilobytes * 1024 / 1e6;

    private static string PerWebhook(long? count, long webhooks, string format = "0.00") =>
        count is { } value && webhooks > 0 ? (value / (double)webhooks).ToString(format, CultureInfo.InvariantCulture) : "";

    private static string PerWebhookInverse(long? count, long webhooks) =>
        count is > 0 ? (webhooks / (double)count.Value).ToString("0.0", CultureInfo.InvariantCulture) : "";

    private static string PerSecond(double? count, double? seconds) =>
        count is { } value && seconds is > 0 ? (value / seconds.Value).ToString("N0", CultureInfo.InvariantCulture) : "";

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
