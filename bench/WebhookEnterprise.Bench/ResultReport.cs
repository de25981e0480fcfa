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
/// is made of, the CPU, Postgres and runtime evidence of each phase, memory and the machine.
/// </summary>
public static class ResultReport
{
    public const double IngestFactorGoal = 2.0;
    public const double EndToEndP99GoalMs = 50;
    public const double DeliveriesGoal = 5000;
    public const double ResidentGoalMb = 250;

    private static readonly string[] ProcessGroups =
        ["api", "workers", "baseline", "postgres", "redis", "target", "load"];

    public static string Write(RunResults results, DateTimeOffset at)
    {
        var page = new Page();
        var machine = results.Machine;
        page.Heading(1, Invariant($"Benchmark run of {at:yyyy-MM-dd HH:mm} UTC"));
        page.Paragraph(Invariant($"""
            {machine.Cores} cores ({machine.Processor}), {Gibibytes(machine.MemoryBytes)} GiB,
            {machine.Os}; {machine.Runtime}; {machine.Postgres}; {machine.Redis}. Postgres runs
            with `fsync=on` and `synchronous_commit=on`, as in production: every 2xx below stands
            for a flushed commit.
            """));

        WriteGoals(page, results);
        WriteIngest(page, results);
        WriteEndToEnd(page, results.EndToEnd);
        WriteDelivery(page, results);
        WritePhases(page, results.Phases);
        WritePostgres(page, results);
        WriteRuntime(page, results);
        WriteStatements(page, results.Statements);
        WriteMemory(page, results.PeakResidentKb, results.Phases);
        WriteMachine(page, machine);

        page.Heading(2, "Command");
        page.Code(results.Settings.Command);

        return page.ToString();
    }

    /// <summary>Why a run cannot be reported as a measurement at all, or null when it can.</summary>
    public static string? Broken(RunResults results) =>
        results.IngestApi.Answered == 0 ? "the gateway answered no ingest request with 2xx"
        : results.IngestBaseline.Answered == 0 ? "the baseline answered no ingest request with 2xx"
        : results.Delivery.Distinct == 0 ? "no queued message reached the target"
        : results.EndToEnd.Delivered == 0 ? "no message of the open-loop run reached the target"
        : null;

    private static void WriteGoals(Page page, RunResults results)
    {
        var api = results.IngestApi;
        var baseline = results.IngestBaseline;
        var e2e = results.EndToEnd.DeliveryLatency;
        var rate = Invariant($"{results.EndToEnd.Rate:N0}/s");
        var apiMb = Megabytes(results.PeakResidentKb.GetValueOrDefault("api"));
        var baselineMb = Megabytes(results.PeakResidentKb.GetValueOrDefault("baseline"));
        var workerMb = results.PeakResidentKb
            .Where(entry => entry.Key.StartsWith("worker", StringComparison.Ordinal))
            .Select(entry => Megabytes(entry.Value))
            .DefaultIfEmpty(0)
            .Max();
        var factor = baseline.PerSecond > 0 ? api.PerSecond / baseline.PerSecond : 0;
        var e2eMet = e2e.P99Us != LatencySummary.Missing && e2e.P99Us <= EndToEndP99GoalMs * 1000;
        var deliveriesMet = results.Delivery.Complete && results.Delivery.PerSecond >= DeliveriesGoal;

        page.Heading(2, "Against the goals");
        page.Row("measure", "gateway", "baseline", "goal", "met");
        page.Row("---", "---:", "---:", "---", ":---:");
        page.Row(
            Invariant($"ingest, webhooks/s answered 2xx, {results.Settings.Connections} connections"),
            Invariant($"{api.PerSecond:N0}"),
            Invariant($"{baseline.PerSecond:N0}"),
            Invariant($"≥ {IngestFactorGoal:0} × baseline = {IngestFactorGoal * baseline.PerSecond:N0}")
                + Invariant($" (now {factor:0.00} ×)"),
            Met(factor >= IngestFactorGoal));
        page.Row("ingest latency p50", Ms(api.LatencyUs.P50), Ms(baseline.LatencyUs.P50), "", "");
        page.Row(
            "ingest latency p99",
            Ms(api.LatencyUs.P99),
            Ms(baseline.LatencyUs.P99),
            "≤ baseline's",
            Met(api.LatencyUs.P99 <= baseline.LatencyUs.P99));
        page.Row($"end to end p50, open loop at {rate}", Ms(e2e.P50Us), "", "", "");
        page.Row(
            $"end to end p99, open loop at {rate}",
            Ms(e2e.P99Us),
            "",
            Invariant($"≤ {EndToEndP99GoalMs:0} ms"),
            Met(e2eMet));
        page.Row(
            Invariant($"deliveries/s to a fast target, {results.Settings.Workers} workers"),
            Invariant($"{results.Delivery.PerSecond:N0}"),
            "",
            Invariant($"≥ {DeliveriesGoal:N0}"),
            Met(deliveriesMet));
        page.Row(
            "peak resident memory (VmHWM), api",
            Invariant($"{apiMb:N0} MB"),
            Invariant($"{baselineMb:N0} MB"),
            Invariant($"≤ {ResidentGoalMb:0} MB"),
            Met(apiMb > 0 && apiMb <= ResidentGoalMb));
        page.Row(
            "peak resident memory (VmHWM), largest worker",
            Invariant($"{workerMb:N0} MB"),
            "",
            Invariant($"≤ {ResidentGoalMb:0} MB"),
            Met(workerMb > 0 && workerMb <= ResidentGoalMb));
        page.EndBlock();
    }

    private static void WriteIngest(Page page, RunResults results)
    {
        var s = results.Settings;
        var api = results.IngestApi;
        var baseline = results.IngestBaseline;

        page.Heading(2, "Ingest");
        page.Paragraph(Invariant($"""
            Closed loop: wrk, {s.WrkThreads} threads, {s.Connections} connections, {s.IngestSeconds} s
            measured after {s.WarmupSeconds} s of warm-up, each request a POST of a
            {s.BodyBytes:N0}-byte JSON body with the source's Basic credentials. No worker runs
            meanwhile: the gateway's source has one target, so each webhook stores a message and one
            delivery and queues one job, which wait.
            """));
        page.Row("", "gateway", "baseline");
        page.Row("---", "---:", "---:");
        page.Row("answered 2xx", Invariant($"{api.Answered:N0}"), Invariant($"{baseline.Answered:N0}"));
        page.Row("answered 4xx/5xx", Invariant($"{api.Errors.Status:N0}"), Invariant($"{baseline.Errors.Status:N0}"));
        page.Row(
            "socket errors and timeouts",
            Invariant($"{api.Errors.Socket:N0}"),
            Invariant($"{baseline.Errors.Socket:N0}"));
        page.Row("latency p50 / p90 / p99 / p99.9 / max", Latencies(api.LatencyUs), Latencies(baseline.LatencyUs));
        page.Row(
            "messages stored / answered 2xx, warm-up included",
            Invariant($"{results.Stored.Api:N0} / {results.AnsweredApi:N0}"),
            Invariant($"{results.Stored.Baseline:N0} / {results.AnsweredBaseline:N0}"));
        page.EndBlock();
        page.Paragraph("""
            A message stored but not answered is one whose answer wrk never read because the run
            ended; a 2xx without a stored message would be a lost message.
            """);
    }

    private static void WriteEndToEnd(Page page, EndToEndResult e2e)
    {
        var latency = e2e.DeliveryLatency;
        var answer = e2e.Ingress.AnswerLatency;
        var ingress = e2e.Ingress;

        page.Heading(2, "End to end");
        page.Paragraph(Invariant($"""
            Open loop: {e2e.Rate:N0} webhooks/s for {e2e.Seconds} s after {e2e.WarmupSeconds} s of
            warm-up at the same rate, each timed from its scheduled send time to its first arrival
            at the target. A webhook refused, failed or not delivered counts as slower than every
            delivered one.
            """));
        page.Row("", "");
        page.Row("---", "---:");
        page.Row(
            "sent / answered 2xx / answered otherwise / failed",
            Invariant($"{ingress.Sent:N0} / {ingress.Accepted:N0} / {ingress.Refused:N0} / {ingress.Failed:N0}"));
        page.Row(
            "delivered / duplicates / sent but never delivered",
            Invariant($"{e2e.Delivered:N0} / {e2e.Duplicates:N0} / {Math.Max(0, ingress.Sent - e2e.Delivered):N0}"));
        page.Row(
            "scheduled → target, p50 / p90 / p99 / p99.9 / max",
            Percentiles(latency));
        page.Row("scheduled → 2xx answer, p50 / p99", $"{Ms(answer.P50Us)} / {Ms(answer.P99Us)}");
        page.Row("latest the generator fired a request", $"{Ms(e2e.MaxFireLagUs)} after its time");
        page.EndBlock();
    }

    private static void WriteDelivery(Page page, RunResults results)
    {
        var delivery = results.Delivery;
        var s = results.Settings;

        page.Heading(2, "Delivery throughput");
        page.Paragraph(Invariant($"""
            The ingest run leaves its jobs queued; the newest {delivery.Expected:N0} are kept,
            hidden from the workers' consumer group. {s.Workers} workers (default settings) start,
            warm up on {s.WorkerWarmupSeconds} s of live traffic at twice the end-to-end
            rate, then the group is moved back to the start of the stream and they deliver the
            backlog to the fast target. The rate is distinct messages over the time from the first
            arrival to the last.
            """));
        var all = delivery.Complete ? "all" : "NOT all, within the time allowed";
        page.Paragraph(Invariant($"""
            - delivered {delivery.Distinct:N0} of {delivery.Expected:N0} ({all}),
              {delivery.Received - delivery.Distinct:N0} duplicates, in {delivery.Seconds:0.00} s:
              **{delivery.PerSecond:N0}/s**
            """));
    }

    private static void WritePhases(Page page, IReadOnlyList<PhaseResult> phases)
    {
        page.Heading(2, "CPU by phase");
        page.Paragraph("""
            Percent of one core over each measured phase (the whole machine is cores × 100 %).
            `load` is wrk or the open-loop generator; `machine` is every process on the machine,
            ours or not: where it is well above the sum of ours, something else was running.
            """);
        page.Row(["phase", "seconds", .. ProcessGroups, "machine"]);
        page.Row(["---", "---:", .. ProcessGroups.Select(_ => "---:"), "---:"]);
        foreach (var phase in phases)
        {
            var cells = ProcessGroups.Select(group =>
                phase.CpuS.TryGetValue(group, out var seconds) && phase.WallS > 0
                    ? Invariant($"{100 * seconds / phase.WallS:0}")
                    : "");
            page.Row([phase.Name, Invariant($"{phase.WallS:0.0}"), .. cells, Invariant($"{phase.MachineBusyPct:0}")]);
        }

        page.EndBlock();
    }

    /// <summary>
    /// What each phase handled: webhooks answered, messages delivered, or webhooks sent (warm-up
    /// included) end to end.
    /// </summary>
    private static Dictionary<string, long> Items(RunResults results) => new(StringComparer.Ordinal)
    {
        ["ingest-baseline"] = results.IngestBaseline.Answered,
        ["ingest-api"] = results.IngestApi.Answered,
        ["delivery"] = results.Delivery.Distinct,
        ["e2e"] = results.EndToEnd.Ingress.Sent + ((long)results.EndToEnd.WarmupSeconds * results.EndToEnd.Rate),
    };

    private static void WritePostgres(Page page, RunResults results)
    {
        var items = Items(results);

        page.Heading(2, "Postgres by phase");
        page.Paragraph("""
            Per item: a webhook answered in the ingest phases, a message delivered in the delivery
            phase, a webhook sent (warm-up included) in the end-to-end phase, which both stores and
            delivers it. Transactions include read-only ones and the `DISCARD ALL` Npgsql sends when
            a pooled connection is reused. Concurrent commits share one WAL flush: the more items per
            flush, the more group commit helps.
            """);
        page.Row(
            "phase",
            "items",
            "transactions per item",
            "WAL bytes per item",
            "WAL flushes per second",
            "items per WAL flush",
            "ms flushing WAL per second");
        page.Row("---", "---:", "---:", "---:", "---:", "---:", "---:");
        foreach (var phase in results.Phases)
        {
            var count = items.GetValueOrDefault(phase.Name);
            var pg = phase.Pg;
            page.Row(
                phase.Name,
                Invariant($"{count:N0}"),
                Ratio(pg.Commits, count, "0.00"),
                Ratio(pg.WalBytes, count, "N0"),
                Ratio(pg.WalSyncs, phase.WallS, "N0"),
                Ratio(count, pg.WalSyncs, "0.0"),
                Ratio(pg.WalSyncMs, phase.WallS, "N0"));
        }

        page.EndBlock();
    }

    private static void WriteRuntime(Page page, RunResults results)
    {
        if (results.Counters.Count == 0)
        {
            return;
        }

        var items = Items(results);
        var workers = results.Settings.Workers;

        page.Heading(2, ".NET runtime by phase");
        page.Paragraph(Invariant($"""
            From `dotnet-counters`, once a second over each measured phase: rates are means; queue,
            threads and working set the largest sample. CPU is seconds per second; JIT is the time
            threads spent compiling, per second, which on a busy machine includes time they waited
            for a core. JIT well above zero means the process had not finished compiling its hot
            paths (tiered compilation): the warm-up was too short for this machine. Allocation per
            item counts each worker for 1/{workers} of the items.
            """));
        page.Row(
            "phase",
            "process",
            "CPU, s/s",
            "JIT, s/s",
            "allocated, MB/s",
            "KB per item",
            "GCs/s gen0 / gen1 / gen2",
            "time in GC pauses",
            "lock contentions/s",
            "thread pool queue, max",
            "thread pool threads, max",
            "working set, max MB");
        page.Row("---", "---", "---:", "---:", "---:", "---:", "---", "---:", "---:", "---:", "---:", "---:");
        foreach (var (phase, processes) in results.Counters)
        {
            var wall = results.Phases.FirstOrDefault(candidate => candidate.Name == phase)?.WallS ?? 0;
            var count = items.GetValueOrDefault(phase);
            foreach (var c in processes)
            {
                var share = c.Process.StartsWith("worker", StringComparison.Ordinal) ? 1.0 / workers : 1.0;
                page.Row(
                    phase,
                    c.Process,
                    Invariant($"{c.CpuCores:0.00}"),
                    Invariant($"{c.JitCores:0.00}"),
                    Invariant($"{c.AllocatedBytesPerSecond / 1e6:N1}"),
                    Ratio(c.AllocatedBytesPerSecond * wall / 1024, count * share, "N1"),
                    Invariant($"{c.Gen0PerSecond:0.0} / {c.Gen1PerSecond:0.00} / {c.Gen2PerSecond:0.00}"),
                    Invariant($"{100 * c.GcPauseShare:0.0} %"),
                    Invariant($"{c.LockContentionsPerSecond:N0}"),
                    Invariant($"{c.MaxThreadPoolQueue:N0}"),
                    Invariant($"{c.MaxThreadPoolThreads}"),
                    Invariant($"{c.MaxWorkingSetBytes / 1e6:N0}"));
            }
        }

        page.EndBlock();
    }

    private static void WriteStatements(Page page, IReadOnlyDictionary<string, string> statements)
    {
        if (statements.Count == 0)
        {
            return;
        }

        page.Heading(2, "Postgres statements by phase");
        page.Paragraph("""
            From `pg_stat_statements`, reset at the start of each measured phase: the statements that
            took Postgres the most time (execution only; waiting for the WAL flush at commit is not in
            it).
            """);
        foreach (var (phase, table) in statements)
        {
            page.Paragraph($"<details><summary>{phase}</summary>");
            page.Code(table.TrimEnd());
            page.Paragraph("</details>");
        }
    }

    private static void WriteMemory(
        Page page,
        Dictionary<string, long> peakResidentKb,
        IReadOnlyList<PhaseResult> phases)
    {
        page.Heading(2, "Peak resident memory");
        page.Paragraph("""
            VmHWM from `/proc/PID/status` in MB (10⁶ bytes): the most each process has held resident
            since it started, read after each phase, so a column shows the peak up to the end of that
            phase.
            """);
        page.Row(["process", .. phases.Select(phase => "after " + phase.Name)]);
        page.Row(["---", .. phases.Select(_ => "---:")]);
        foreach (var process in peakResidentKb.Keys.Order(StringComparer.Ordinal))
        {
            var cells = phases.Select(phase =>
                phase.PeakKb.TryGetValue(process, out var peak) && peak > 0 ? Invariant($"{Megabytes(peak):N0}") : "");
            page.Row([process, .. cells]);
        }

        page.EndBlock();
    }

    private static void WriteMachine(Page page, MachineInfo machine)
    {
        var flush = machine.FsyncLatency;

        page.Heading(2, "Machine");
        page.Paragraph(Invariant($"""
            - {machine.Cores} cores, {machine.Processor}; {Gibibytes(machine.MemoryBytes)} GiB; {machine.Os}
            - {machine.Runtime}; {machine.Postgres}; {machine.Redis}; {machine.Wrk}
            - Postgres data on {machine.DataFileSystem}: an 8 KiB write and fsync takes
              {Ms(flush.P50Us)} (median), {Ms(flush.P99Us)} (p99) over {flush.Count} tries
            """));
    }

    private static string Met(bool met) => met ? "yes" : "**no**";

    private static string Ms(long microseconds) =>
        microseconds == LatencySummary.Missing ? "not delivered" : Invariant($"{microseconds / 1000.0:N1} ms");

    private static string Percentiles(LatencySummary latency) =>
        string.Join(" / ", new[] { latency.P50Us, latency.P90Us, latency.P99Us, latency.P999Us, latency.MaxUs }
            .Select(Ms));

    private static string Latencies(WrkLatency latency) =>
        string.Join(" / ", new[] { latency.P50, latency.P90, latency.P99, latency.P999, latency.Max }.Select(Ms));

    private static double Megabytes(long kilobytes) => kilobytes * 1024 / 1e6;

    private static string Gibibytes(long bytes) => Invariant($"{bytes / (double)(1L << 30):0.#}");

    private static string Ratio(double numerator, double denominator, string format) =>
        denominator > 0 ? (numerator / denominator).ToString(format, CultureInfo.InvariantCulture) : "";

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>
    /// A page of Markdown: headings, paragraphs, table rows and code blocks, one blank line
    /// between blocks.
    /// </summary>
    private sealed class Page
    {
        private readonly StringBuilder _text = new();

        public void Heading(int level, string title)
        {
            _text.Append('#', level).Append(' ').AppendLine(title);
            EndBlock();
        }

        public void Paragraph(string text)
        {
            _text.AppendLine(text.TrimEnd());
            EndBlock();
        }

        public void Row(params IEnumerable<string> cells) =>
            _text.Append("| ").AppendJoin(" | ", cells).AppendLine(" |");

        public void Code(string text)
        {
            _text.AppendLine("```").AppendLine(text).AppendLine("```");
            EndBlock();
        }

        public void EndBlock() => _text.AppendLine();

        public override string ToString() => _text.ToString();
    }
}
