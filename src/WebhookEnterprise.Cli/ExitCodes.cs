namespace WebhookEnterprise.Cli;

/// <summary>Exit codes of <c>webhook-cli</c>.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The api refused the request or something it names does not exist.</summary>
    public const int Refused = 1;

    /// <summary>The command line or the settings are wrong: a missing or malformed option or setting.</summary>
    public const int BadInput = 2;

    /// <summary>The api could not be reached or failed.</summary>
    public const int Unavailable = 3;
}
