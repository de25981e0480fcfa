using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Worker;

public static class WorkerTelemetryExtensions
{
    /// <summary>Adds the gateway's instruments and the loop that samples the queue sizes for its gauges.</summary>
    public static HostApplicationBuilder AddWorkerTelemetry(this HostApplicationBuilder builder)
    {
        builder.Services.AddGatewayTelemetry();
        builder.Services.AddOptions<QueueSamplerOptions>()
            .Bind(builder.Configuration.GetSection(QueueSamplerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHostedService<QueueSampler>();

        return builder;
    }
}
