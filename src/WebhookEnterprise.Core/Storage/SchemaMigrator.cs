using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace WebhookEnterprise.Core.Storage;

/// <summary>
/// Applies the numbered scripts in <c>Storage/Migrations</c> with DbUp. Every process may call it
/// at start: an advisory lock makes concurrent callers take turns, and DbUp's journal makes the
/// later ones find nothing left to do.
/// </summary>
public sealed partial class SchemaMigrator(ILogger<SchemaMigrator> logger)
{
    // Any constant works; it only has to be the same in every process of the gateway.
    private const long MigrationLockKey = 0x5745_4248_4f4f_4b53;

    public async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        // The lock is held on the maintenance database, so that creating the gateway's own
        // database is covered by it too.
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            EnsureDatabase.For.PostgresqlDatabase(connectionString, new NoOpUpgradeLog());

            var upgrader = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly, IsMigration)
                .WithTransactionPerScript()
                .LogTo(new NoOpUpgradeLog())
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Migration {result.ErrorScript?.Name} failed: {result.Error.Message}",
                    result.Error);
            }

            foreach (var script in result.Scripts)
            {
                LogApplied(script.Name);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static bool IsMigration(string resourceName) =>
        resourceName.Contains(".Storage.Migrations.", StringComparison.Ordinal)
            && resourceName.EndsWith(".sql", StringComparison.Ordinal);

    [LoggerMessage(EventId = 1001, EventName = "MigrationApplied", Level = LogLevel.Information,
        Message = "Applied migration {ScriptName}")]
    private partial void LogApplied(string scriptName);
}
