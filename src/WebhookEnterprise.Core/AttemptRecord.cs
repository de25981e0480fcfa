namespace WebhookEnterprise.Core;

/// <summary>
/// The outcome of one attempt, as committed: the delivery's new state and the
/// <c>target.response</c> log record. <see cref="Data"/> is the record's JSON body.
/// </summary>
public sealed record AttemptRecord(
    Guid Id,
    Guid DeliveryId,
    Guid MessageId,
    long SourceId,
    Guid TargetId,
    int Attempt,
    string State,
    DateTimeOffset? NextRunAt,
    DateTimeOffset CreatedAt,
    string Data);
