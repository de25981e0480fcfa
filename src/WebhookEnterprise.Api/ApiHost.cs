using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Api;

/// <summary>Wiring of the api process: ingress, health and the management API.</summary>
public static class ApiHost
{
    public static WebApplicationBuilder AddGatewayApi(this WebApplicationBuilder builder)
    {
        GatewayConnections.AddDefaults(builder.Configuration);
        builder.AddServiceDefaults();

        builder.Services.AddOptions<ApiOptions>()
            .Bind(builder.Configuration.GetSection(ApiOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.PostConfigure<ApiOptions>(options =>
            options.AdminToken ??= builder.Configuration["WEBHOOK_ADMIN_TOKEN"]);

        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ApiOptions>>((kestrel, options) =>
            {
                var api = options.Value;
                kestrel.AddServerHeader = false;

                // Ingress counts body bytes itself (see IngressEndpoints); this bounds every other endpoint.
                kestrel.Limits.MaxRequestBodySize = api.MaxBodyBytes;
                kestrel.Limits.RequestHeadersTimeout = api.RequestHeadersTimeout;
                kestrel.Limits.MinRequestBodyDataRate =
                    new MinDataRate(api.MinBodyBytesPerSecond, api.MinBodyRateGracePeriod);
                kestrel.ConfigureEndpointDefaults(listen => listen.Use(WireHeaderCapture.Capture));
            });

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(ApiOptions.DefaultUrl);
        }

        builder.Services.AddGatewayStorage(builder.Configuration);
        builder.Services.AddGatewayTelemetry();
        builder.AddRedisClient(GatewayConnections.Redis, configureOptions: GatewayConnections.ConfigureRedis);
        builder.Services.AddSingleton<PublicUrl>();
        builder.Services.AddSingleton<IngressSourceCache>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IngressSourceCache>());
        builder.Services.AddSingleton<IngestBatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IngestBatcher>());
        builder.Services.AddProblemDetails();
        builder.Services.Configure<JsonOptions>(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.Encoder = LogRecordWriter.WriterOptions.Encoder;
        });

        return builder;
    }

    public static async Task MigrateAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        var migrator = app.Services.GetRequiredService<SchemaMigrator>();
        await migrator.MigrateAsync(GatewayConnections.PostgresConnectionString(app.Configuration), cancellationToken);
    }

    /// <summary>
    /// Connects to Redis before the api serves. The client connects on first use, blocking a
    /// thread; a burst of first messages all waiting on that would starve the thread pool and
    /// hold every sender for seconds. When Redis is down this waits out the connect timeout, and
    /// the client keeps trying in the background.
    /// </summary>
    public static void ConnectQueue(this WebApplication app) =>
        _ = app.Services.GetRequiredService<IConnectionMultiplexer>();

    public static WebApplication MapGatewayApi(this WebApplication app)
    {
        app.UseWireHeaderCapture();
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        app.MapHealthEndpoints();
        app.MapSourceEndpoints();
        app.MapTargetEndpoints();
        app.MapLogEndpoints();
        app.MapMessageEndpoints();
        app.MapIngressEndpoints();

        return app;
    }
}
