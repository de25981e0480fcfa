namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// A gateway whose tests start, kill and restart their own workers, each with the settings
/// the test is about; no worker runs between tests.
/// </summary>
public sealed class GatewayWithoutWorkers() : Gateway(initialWorkers: 0);
