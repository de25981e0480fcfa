using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using StackExchange.Redis;
using WebhookEnterprise.Api;
using WebhookEnterprise.Worker;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>A source and the one target it forwards to, as the management API made them.</summary>
public sealed record Route(long SourceId, Uri SourceUrl, string TargetId, string TargetName)
{
    /// <summary>The source's URL without its credentials, and the Basic header that carries them.</summary>
    public (string Url, AuthenticationHeaderValue Credentials) Ingress()
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(SourceUrl.UserInfo)));

        return (SourceUrl.GetLeftPart(UriPartial.Path), new AuthenticationHeaderValue("Basic", credentials));
    }

    public string Secret => SourceUrl.UserInfo.Split(':')[1];
}

/// <summary>
/// The api and one worker hosted in the test's own process, built by the same extension methods
/// as <c>webhook-cli run api</c> and <c>run worker</c>, over real Postgres and Redis, so that their
/// spans, metrics and logs can be read from in-memory exporters. The two hosts share the
/// process's activity sources and meter listeners, so each provider sees the other host's spans
/// and instruments too: the span and metric exporters hang on the api's providers alone, and
/// receive everything once. Logs are per host; the worker's are the ones the tests read.
/// </summary>
public sealed class InProcessGateway : IAsyncLifetime
{
    /// <summary>The api's body limit here, small enough for a test to exceed cheaply.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const string PostgresPassword = "postgres-password-not-for-spans";

    private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly ExportedItems<Activity> _spans = new();
    private readonly ExportedItems<MetricSnapshot> _metrics = new();
    private readonly ExportedItems<LogRecord> _workerLogs = new();
    private PostgresServer? _postgres;
    private RedisServer? _redis;
    private WebApplication? _api;
    private IHost? _worker;

    public int ApiPort { get; } = Ports.Free();

    public string ApiUrl => $"http://127.0.0.1:{ApiPort}";

    public IReadOnlyList<Activity> Spans => _spans.Snapshot();

    public IReadOnlyList<LogRecord> WorkerLogs => _workerLogs.Snapshot();

    /// <summary>
    /// A client that sends no trace context, like a sender that traces nothing: each request
    /// it makes starts a trace of the gateway's own. The hosts' HttpClient instrumentation sees
    /// this process's clients too, and would add headers of its own, so it is suppressed here.
    /// </summary>
    public static HttpClient UntracedClient() => new(new UntracedHandler());

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _redis = await RedisServer.StartAsync();

        _api = BuildApi();
        await _api.MigrateAsync(CancellationToken.None);
        _api.MapGatewayApi();
        await _api.StartAsync();

        _worker = BuildWorker();
        await _worker.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync();
            _worker.Dispose();
        }

        if (_api is not null)
        {
            await _api.StopAsync();
            await _api.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    /// <summary>Collects every metric now and answers the latest snapshot of each, by name.</summary>
    public IReadOnlyDictionary<string, MetricSnapshot> CollectMetrics()
    {
        var provider = _api?.Services.GetRequiredService<MeterProvider>() ?? throw new InvalidOperationException("Not started.");
        _metrics.Clear();
        provider.ForceFlush();

        return _metrics.Snapshot()
            .GroupBy(metric => metric.Name)
            .ToDictionary(group => group.Key, group => group.Last());
    }

    /// <summary>Adds a source and a target of it at <paramref name="targetUrl"/>, retried every second.</summary>
    public async Task<Route> AddRouteAsync(string name, string targetUrl)
    {
        using var http = UntracedClient();
        using var source = await http.PostAsJsonAsync($"{ApiUrl}/api/sources", new { Name = name }, ApiJson);
        source.EnsureSuccessStatusCode();
        var sourceView = await source.Content.ReadFromJsonAsync<JsonElement>(ApiJson);

        var targetName = $"{name}-target";
        using var target = await http.PostAsJsonAsync(
            $"{ApiUrl}/api/targets",
            new { Name = targetName, ForwardName = name, Url = targetUrl, RetryPolicy = "linear", RetryInterval = "1s", MaxAttempts = 5 },
            ApiJson);
        target.EnsureSuccessStatusCode();
        var targetView = await target.Content.ReadFromJsonAsync<JsonElement>(ApiJson);

        return new Route(
            sourceView.GetProperty("id").GetInt64(),
            new Uri(sourceView.GetProperty("url").GetString()!),
            targetView.GetProperty("id").GetString()!,
            targetName);
    }

    private WebApplication BuildApi()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "WebhookEnterprise.Cli",
            EnvironmentName = Environments.Development,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(Settings())
        {
            ["urls"] = ApiUrl,
            ["Api:PublicUrl"] = ApiUrl,
            ["Api:MaxBodyBytes"] = MaxBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["WEBHOOK_ADMIN_TOKEN"] = "",
        });
        builder.AddGatewayApi();
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans));
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics));

        return builder.Build();
    }

    private IHost BuildWorker()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "WebhookEnterprise.Cli",
            EnvironmentName = Environments.Development,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(Settings())
        {
            ["Worker:Name"] = "telemetry-tests",
            ["Worker:QueueSampler:Interval"] = "00:00:00.100",
        });
        builder.AddGatewayWorker();
        builder.Services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddInMemoryExporter(_workerLogs));

        return builder.Build();
    }

    private Dictionary<string, string?> Settings() => new()
    {
        // Postgres trusts every local connection here, so the password is never used: it is
        // there to prove that no span carries it.
        ["ConnectionStrings:webhooks"] = $"{_postgres!.ConnectionString("webhooks")};Password={PostgresPassword}",
        ["ConnectionStrings:redis"] = _redis!.ConnectionString,
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
        ["Logging:LogLevel:Default"] = "Information",

        // Successful attempts are logged at Debug.
        ["Logging:LogLevel:WebhookEnterprise"] = "Debug",
    };
}

/// <summary>Sends requests with no trace headers and no client span.</summary>
internal sealed class UntracedHandler : DelegatingHandler
{
    public UntracedHandler()
        : base(new SocketsHttpHandler { ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator() })
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (SuppressInstrumentationScope.Begin())
        {
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
