using Npgsql;
using StackExchange.Redis;

namespace WebhookEnterprise.Cli;

/// <summary>Turns the usual reasons a process cannot start into one sentence for the operator.</summary>
public static class StartupFailure
{
    public static string? Describe(Exception exception) => exception switch
    {
        IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException } =>
            exception.Message.TrimEnd('.') + "; stop what listens there or choose other --urls.",
        NpgsqlException =>
            $"Cannot reach Postgres ({OneLine(exception.Message)}); check ConnectionStrings__webhooks.",
        RedisConnectionException =>
            $"Cannot reach Redis ({OneLine(exception.Message)}); check ConnectionStrings__redis.",
        _ => null,
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim().TrimEnd('.');
}
