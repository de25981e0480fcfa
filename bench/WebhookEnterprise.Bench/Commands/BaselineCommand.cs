using System.ComponentModel.DataAnnotations;
using McMaster.Extensions.CommandLineUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace WebhookEnterprise.Bench.Commands;

[Command("baseline", Description = "Run the baseline ingest endpoint: ANY /{source-id} does one INSERT and one XADD.",
    ExtendedHelpText = """

    The database must hold the gateway's schema: run 'webhook-cli migrate' against it first.

    Example:
      bench baseline --urls http://127.0.0.1:5902 --redis 127.0.0.1:6379 \
        --postgres 'Host=127.0.0.1;Port=5432;Database=baseline;Username=postgres'
    """)]
public sealed class BaselineCommand
{
    [Option("--urls", Description = "Where to listen.")]
    [Required]
    public string Urls { get; set; } = "";

    [Option("--postgres", Description = "Npgsql connection string of a database with the gateway's schema.")]
    [Required]
    public string Postgres { get; set; } = "";

    [Option("--redis", Description = "StackExchange.Redis configuration string.")]
    [Required]
    public string Redis { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(Urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        await using var dataSource = NpgsqlDataSource.Create(Postgres);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var endpoint = new BaselineEndpoint(dataSource, redis);

        await using var app = builder.Build();
        app.Map("/{sourceId:long}", (HttpContext context, long sourceId) => endpoint.ReceiveAsync(context, sourceId));
        app.MapGet("/alive", () => TypedResults.Ok());
        await app.RunAsync();

        return BenchCli.Ok;
    }
}
