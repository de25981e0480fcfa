using System.ComponentModel.DataAnnotations;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Bench.Commands;

[Command("drain",
    Description = "Wait until the fast target has a number of messages of a run, and time them "
        + "from the first arrival to the last.",
    ExtendedHelpText = """

    Example:
      bench drain --target http://127.0.0.1:5901 --run ingest --count 30000 --timeout 90 --out delivery.json
    """)]
public sealed class DrainCommand(IConsole console)
{
    [Option("--target", Description = "Base URL of the fast target.")]
    [Required]
    public string Target { get; set; } = "";

    [Option("--run", Description = "The run whose messages to count.")]
    [Required]
    public string Run { get; set; } = "";

    [Option("--count", Description = "How many distinct messages to wait for.")]
    [Range(1, long.MaxValue)]
    public long Count { get; set; }

    [Option("--timeout", Description = "Seconds to wait at most (default 90).")]
    [Range(1, 3600)]
    public int Timeout { get; set; } = 90;

    [Option("--out", Description = "Where to write the result as JSON.")]
    [Required]
    public string Out { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var http = new HttpClient();
        var probe = new TargetProbe(http, new Uri(Target));
        var stats = await probe.WaitForAsync(Run, Count, TimeSpan.FromSeconds(Timeout));

        var seconds = (stats.LastUs - stats.FirstUs) / 1e6;
        var result = new DrainResult(
            Run,
            Count,
            stats.Received,
            stats.Distinct,
            seconds,
            seconds > 0 ? (stats.Distinct - 1) / seconds : 0,
            stats.Distinct >= Count);
        await BenchJson.WriteAsync(Out, result);
        await console.Out.WriteLineAsync(
            $"drain: {stats.Distinct} of {Count} messages in {seconds:0.00} s from the first arrival, "
            + $"{result.PerSecond:0} a second");

        // Messages still missing at the deadline are a result, not a failure of the harness:
        // the result says so and the report shows it.
        return BenchCli.Ok;
    }
}
