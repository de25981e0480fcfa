using System.ComponentModel.DataAnnotations;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Bench.Commands;

[Command("report",
    Description = "Gather the result files of a run into one page of Markdown; print it and write it to a file.",
    ExtendedHelpText = """

    Example:
      bench report --results bench/results/20250101-120000 --out bench/results/20250101-120000/report.md
    """)]
public sealed class ReportCommand(IConsole console)
{
    private static readonly string[] PhaseNames = ["ingest-baseline", "ingest-api", "delivery", "e2e"];

    [Option("--results", Description = "The run's results folder, as bench/run.sh fills it.")]
    [Required]
    [DirectoryExists]
    public string Results { get; set; } = "";

    [Option("--out", Description = "Where to write the page.")]
    [Required]
    public string Out { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        var missing = new List<string>();
        var phases = new List<PhaseResult>();
        foreach (var name in PhaseNames)
        {
            if (await ReadAsync<PhaseResult>($"phase-{name}.json", missing) is { } phase)
            {
                phases.Add(phase);
            }
        }

        var settings = await ReadAsync<BenchSettings>("settings.json", missing);
        var machine = await ReadAsync<MachineInfo>("machine.json", missing);
        var ingestApi = await ReadAsync<WrkResult>("ingest-api.json", missing);
        var warmupApi = await ReadAsync<WrkResult>("ingest-api-warmup.json", missing);
        var ingestBaseline = await ReadAsync<WrkResult>("ingest-baseline.json", missing);
        var warmupBaseline = await ReadAsync<WrkResult>("ingest-baseline-warmup.json", missing);
        var stored = await ReadAsync<StoredRows>("stored.json", missing);
        var delivery = await ReadAsync<DrainResult>("delivery.json", missing);
        var endToEnd = await ReadAsync<EndToEndResult>("e2e.json", missing);
        var memory = await ReadAsync<Dictionary<string, long>>("memory.json", missing);
        var statements = new Dictionary<string, string>(StringComparer.Ordinal);
        var counters = new Dictionary<string, IReadOnlyList<RuntimeCounters>>(StringComparer.Ordinal);
        foreach (var name in PhaseNames)
        {
            var path = Path.Combine(Results, $"statements-{name}.txt");
            if (File.Exists(path))
            {
                statements[name] = await File.ReadAllTextAsync(path);
            }

            var processes = new List<RuntimeCounters>();
            var phase = phases.FirstOrDefault(candidate => candidate.Name == name);
            foreach (var csv in Directory.GetFiles(Results, $"counters-{name}-*.csv").Order(StringComparer.Ordinal))
            {
                if (phase is null)
                {
                    break;
                }

                var process = Path.GetFileNameWithoutExtension(csv)[$"counters-{name}-".Length..];
                processes.Add(await RuntimeCounters.ReadAsync(
                    process,
                    csv,
                    DateTimeOffset.FromUnixTimeMilliseconds((long)(phase.StartedUnix * 1000)),
                    DateTimeOffset.FromUnixTimeMilliseconds((long)(phase.EndedUnix * 1000))));
            }

            if (processes.Count > 0)
            {
                counters[name] = processes;
            }
        }

        if (missing.Count > 0)
        {
            await console.Error.WriteLineAsync($"The results in {Results} lack {string.Join(", ", missing)}.");

            return BenchCli.Failed;
        }

        var results = new RunResults(
            settings!,
            machine!,
            ingestApi!,
            ingestBaseline!,
            stored!,
            ingestApi!.Answered + warmupApi!.Answered,
            ingestBaseline!.Answered + warmupBaseline!.Answered,
            delivery!,
            endToEnd!,
            memory!,
            phases,
            statements,
            counters);
        var page = ResultReport.Write(results, DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(Out, page);
        await console.Out.WriteAsync(page);

        if (ResultReport.Broken(results) is { } reason)
        {
            await console.Error.WriteLineAsync($"The run measured nothing useful: {reason}.");

            return BenchCli.Failed;
        }

        return BenchCli.Ok;
    }

    private async Task<T?> ReadAsync<T>(string name, List<string> missing)
        where T : class
    {
        var value = await BenchJson.ReadAsync<T>(Path.Combine(Results, name));
        if (value is null)
        {
            missing.Add(name);
        }

        return value;
    }
}
