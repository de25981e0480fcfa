namespace WebhookEnterprise.Cli;

/// <summary>A failure to report as one sentence on standard error, with an exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Refused) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
