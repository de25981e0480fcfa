namespace WebhookEnterprise.Core;

/// <summary>The types of record in the log, as <c>webhook-cli log --type</c> names them.</summary>
public static class LogRecordType
{
    public const string Message = "message";
    public const string TargetResponse = "target.response";

    public static IReadOnlyList<string> All { get; } = [Message, TargetResponse];
}
