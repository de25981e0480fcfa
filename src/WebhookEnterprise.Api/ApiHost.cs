using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

        var section = builder.Configuration.GetSection(ApiOptions.SectionName);
        builder.Services.Configure<ApiOptions>(section);
        builder.Services.PostConfigure<ApiOptions>(options =>
            options.AdminToken ??= builder.Configuration["WEBHOOK_ADMIN_TOKEN"]);

        var maxBodyBytes = section.GetValue<long?>(nameof(ApiOptions.MaxBodyBytes)) ?? new ApiOptions().MaxBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxBodyBytes;
        });

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(ApiOptions.DefaultUrl);
        }

        builder.Services.AddGatewayStorage(builder.Configuration);
        builder.Services.AddGatewayTelemetry();
        builder.AddRedisClient(GatewayConnections.Redis, configureOptions: options => options.AbortOnConnectFail = false);
        builder.Services.AddSingleton<PublicUrl>();
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

    public static WebApplication MapGatewayApi(this WebApplication app)
    {
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
