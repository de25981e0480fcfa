namespace WebhookEnterprise.AppHost;

/// <summary>
/// Where the AppHost runs Postgres and Redis, from the <c>LocalStores</c> section: for example
/// <c>--LocalStores:Mode=Executables</c> on the command line, or <c>LocalStores__RedisPort</c>
/// in the environment.
/// </summary>
internal sealed class LocalStoresOptions
{
    public const string SectionName = "LocalStores";

    public StoreMode Mode { get; set; } = StoreMode.Auto;

    /// <summary>
    /// The executables' data, kept from one run to the next; a relative path is taken from the
    /// repository root. Containers keep theirs in volumes.
    /// </summary>
    public string DataPath { get; set; } = ".data";

    // Away from 5432 and 6379, so that servers a developer already runs keep their ports.
    public int PostgresPort { get; set; } = 54329;

    public int RedisPort { get; set; } = 63799;
}
