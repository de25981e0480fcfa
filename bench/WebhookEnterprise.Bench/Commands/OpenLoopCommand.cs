using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Bench.Commands;

[Command("open-loop",
    Description = "Send webhooks at a fixed rate without waiting for answers, then time their arrival "
        + "at the fast target.",
    ExtendedHelpText = """

    Example:
      bench open-loop --url http://127.0.0.1:4698/1 --credentials KEY:SECRET --body bench/payload.json \
        --target http://127.0.0.1:5901 --rate 1000 --seconds 30 --out e2e.json
    """)]
public sealed class OpenLoopCommand(IConsole console)
{
    [Option("--url", Description = "The source's ingress URL, without credentials.")]
    [Required]
    public string Url { get; set; } = "";

    [Option("--credentials", Description = "The source's KEY:SECRET, sent as Basic authorization.")]
    [Required]
    public string Credentials { get; set; } = "";

    [Option("--body", Description = "File whose bytes are every request's JSON body.")]
    [Required]
    [FileExists]
    public string Body { get; set; } = "";

    [Option("--target", Description = "Base URL of the fast target the gateway delivers to.")]
    [Required]
    public string Target { get; set; } = "";

    [Option("--rate", Description = "Requests per second (default 1000).")]
    [Range(1, 100_000)]
    public int Rate { get; set; } = 1000;

    [Option("--seconds", Description = "Length of the measured run (default 30).")]
    [Range(1, 3600)]
    public int Seconds { get; set; } = 30;

    [Option("--warmup-seconds", Description = "Length of the warm-up at the same rate, not measured (default 5).")]
    [Range(0, 3600)]
    public int WarmupSeconds { get; set; } = 5;

    [Option("--run", Description = "Name of the measured run at the target (default e2e).")]
    public string Run { get; set; } = "e2e";

    [Option("--drain-timeout",
        Description = "Seconds to wait after the last send for every accepted message to arrive (default 60).")]
    [Range(1, 3600)]
    public int DrainTimeout { get; set; } = 60;

    [Option("--out", Description = "Where to write the result as JSON.")]
    [Required]
    public string Out { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 1024,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

        var plan = new OpenLoopPlan(
            new Uri(Url),
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Credentials))),
            await File.ReadAllBytesAsync(Body),
            Rate,
            WarmupSeconds * Rate,
            Seconds * Rate,
            Run + "-warmup",
            Run);

        var generator = new OpenLoopGenerator(http, plan);
        var (_, measured) = await generator.RunAsync();
        await console.Out.WriteLineAsync(
            $"open-loop: sent {measured.Sent}, accepted {measured.Accepted}, refused {measured.Refused}, "
            + $"failed {measured.Failed}; waiting for deliveries");

        var probe = new TargetProbe(http, new Uri(Target));
        var stats = await probe.WaitForAsync(Run, measured.Accepted, TimeSpan.FromSeconds(DrainTimeout));
        stats = await probe.StatsAsync(Run, withLatencies: true);

        var result = new EndToEndResult(
            Rate,
            Seconds,
            WarmupSeconds,
            generator.MaxLagUs,
            measured,
            stats.Distinct,
            stats.Received - stats.Distinct,
            LatencySummary.Of(stats.LatenciesUs, measured.Sent),
            stats.Distinct >= measured.Accepted);
        await BenchJson.WriteAsync(Out, result);
        await console.Out.WriteLineAsync(
            $"open-loop: delivered {stats.Distinct} of {measured.Accepted} accepted; "
            + $"p50 {result.DeliveryLatency.P50Us} us, p99 {result.DeliveryLatency.P99Us} us");

        // Messages still missing at the deadline are a result, not a failure of the harness:
        // the result says so and the report shows it.
        return BenchCli.Ok;
    }
}
