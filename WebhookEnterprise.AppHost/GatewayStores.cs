namespace WebhookEnterprise.AppHost;

/// <summary>
/// The stores the gateway's processes use, whichever way they run: the Postgres server, its
/// <c>webhooks</c> database and Redis. The database and Redis carry the connection strings the
/// processes read (<c>ConnectionStrings__webhooks</c>, <c>ConnectionStrings__redis</c>).
/// </summary>
internal sealed record GatewayStores(
    IResourceBuilder<IResource> Server,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Redis);
