using Microsoft.Extensions.DependencyInjection;

namespace WebhookEnterprise.Core.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="GatewayTelemetry"/>, one per process: its instruments live as long as the
    /// container's meter factory.
    /// </summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<GatewayTelemetry>();

        return services;
    }
}
