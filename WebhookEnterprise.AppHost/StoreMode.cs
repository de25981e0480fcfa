namespace WebhookEnterprise.AppHost;

/// <summary>How the AppHost runs Postgres and Redis.</summary>
internal enum StoreMode
{
    /// <summary>Containers when a container runtime answers, else the machine's own servers.</summary>
    Auto,

    /// <summary>Aspire's Postgres and Redis containers.</summary>
    Containers,

    /// <summary>The machine's own <c>postgres</c> and <c>redis-server</c>, with their data in a folder.</summary>
    Executables,
}
