using System.Globalization;

namespace WebhookEnterprise.AppHost;

/// <summary>
/// A PostgreSQL server run from the machine's own binaries through <c>run-postgres.sh</c>,
/// listening on 127.0.0.1 only, where the <c>postgres</c> role needs no password.
/// </summary>
internal sealed class LocalPostgresResource(string name, string command, string workingDirectory, int port)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public int Port { get; } = port;

    /// <summary>The server as a whole; <see cref="LocalPostgresDatabaseResource"/> names a database.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres";

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{ConnectionString}");
}
