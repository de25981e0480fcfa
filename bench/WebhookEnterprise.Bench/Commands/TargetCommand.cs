using System.ComponentModel.DataAnnotations;
using McMaster.Extensions.CommandLineUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WebhookEnterprise.Bench.Commands;

[Command("target",
    Description = "Run the fast target: answers every request 200 and counts it; GET /_bench/stats?run=NAME reports.",
    ExtendedHelpText = "\nExample:\n  bench target --urls http://127.0.0.1:5901\n")]
public sealed class TargetCommand
{
    public const string StatsPath = "/_bench/stats";

    [Option("--urls", Description = "Where to listen.")]
    [Required]
    public string Urls { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(Urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        await using var app = builder.Build();
        var target = new FastTarget();
        app.MapGet(StatsPath, (string? run, bool? latencies) =>
            TypedResults.Json(target.Stats(run ?? "", latencies ?? false), BenchJson.Options));
        app.Map("/{**path}", (RequestDelegate)target.ReceiveAsync);
        await app.RunAsync();

        return BenchCli.Ok;
    }
}
