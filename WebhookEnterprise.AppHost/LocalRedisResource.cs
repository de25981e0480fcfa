using System.Globalization;

namespace WebhookEnterprise.AppHost;

/// <summary>A Redis server run from the machine's own <c>redis-server</c>, on 127.0.0.1 only.</summary>
internal sealed class LocalRedisResource(string name, string command, string workingDirectory, int port)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public int Port { get; } = port;

    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{ConnectionString}");
}
