using System.ComponentModel.DataAnnotations;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Settings of a worker process, from the <c>Worker</c> section or <c>Worker__*</c> variables.
/// Every problem <see cref="WorkerOptionsValidator"/> finds is one sentence naming the setting.
/// </summary>
public sealed class WorkerOptions : IValidatableObject
{
    public const string SectionName = "Worker";

    /// <summary>Time a worker may add to a target's timeout before another may take over its job.</summary>
    public static readonly TimeSpan ClaimMargin = TimeSpan.FromSeconds(30);

    /// <summary>
    /// This worker's consumer name in the group. A worker started again under the same name
    /// finishes the jobs it held at once, instead of after <see cref="ClaimIdleTime"/>; two
    /// workers running at the same time must never share one. The default is unique per process.
    /// </summary>
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// Attempts one worker runs at once. Their steps in Postgres and Redis go together, so the
    /// more run at once, the fewer statements and commits each costs.
    /// </summary>
    [Range(1, 1024, ErrorMessage = "Worker:Concurrency must be between {1} and {2}.")]
    public int Concurrency { get; set; } = 128;

    /// <summary>The longest any attempt may take, whatever its target's timeout says.</summary>
    public TimeSpan MaxAttemptTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a job may sit read but unacknowledged before another worker takes it over. It
    /// must exceed <see cref="MaxAttemptTime"/> plus <see cref="ClaimMargin"/>, or a slow
    /// attempt would run twice at once.
    /// </summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromMinutes(6);

    /// <summary>
    /// How many times the group may hand one job to a worker. A job whose handling fails that
    /// often in the gateway itself (not at the target), or whose workers stopped each time, has
    /// its delivery failed with the reason in the log, so that it cannot take workers' time for ever.
    /// </summary>
    [Range(1, 100, ErrorMessage = "Worker:MaxJobDeliveries must be between {1} and {2}.")]
    public int MaxJobDeliveries { get; set; } = 5;

    /// <summary>
    /// How many statements of each kind (loading deliveries, committing outcomes, acknowledging
    /// jobs) one worker runs at once. Attempts that reach the same step while all of them run go
    /// together in the next statement, so this bounds the worker's connections, not its pace.
    /// </summary>
    [Range(1, 32, ErrorMessage = "Worker:StoreWriters must be between {1} and {2}.")]
    public int StoreWriters { get; set; } = 4;

    /// <summary>How often the worker looks for due retries to move onto the stream.</summary>
    public TimeSpan PromoteInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often the worker looks in Postgres for due deliveries that Redis lost.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How overdue a delivery must be before the sweep queues it again.</summary>
    public TimeSpan SweepGrace { get; set; } = TimeSpan.FromMinutes(7);

    /// <summary>Largest part of a target's answer body kept in the log; the full length is recorded too.</summary>
    [Range(0, 16 * 1024 * 1024, ErrorMessage = "Worker:ResponseBodyLimit must be between {1} and {2} bytes.")]
    public int ResponseBodyLimit { get; set; } = 64 * 1024;

    /// <summary>
    /// Refuses deliveries to loopback, private, link-local and other special addresses (see
    /// <see cref="PrivateNetworks"/>), judged on the address actually connected to. Turn it on
    /// when people who are not operators can set target URLs. Off by default.
    /// </summary>
    public bool BlockPrivateNetworks { get; set; }

    /// <summary>Networks, such as <c>10.20.0.0/16</c>, reachable while <see cref="BlockPrivateNetworks"/> is on.</summary>
    public List<string> AllowedPrivateNetworks { get; set; } = [];

    /// <summary>How long a stopping worker lets attempts in flight finish before it exits.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return new ValidationResult("Worker:Name must not be empty.", [nameof(Name)]);
        }

        foreach (var (name, value) in new[]
        {
            (nameof(MaxAttemptTime), MaxAttemptTime),
            (nameof(PromoteInterval), PromoteInterval),
            (nameof(SweepInterval), SweepInterval),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return new ValidationResult($"Worker:{name} ({value}) must be longer than zero.", [name]);
            }
        }

        if (ShutdownGrace < TimeSpan.Zero)
        {
            yield return new ValidationResult(
                $"Worker:ShutdownGrace ({ShutdownGrace}) must not be negative.",
                [nameof(ShutdownGrace)]);
        }

        if (ClaimIdleTime < MaxAttemptTime + ClaimMargin)
        {
            yield return new ValidationResult(
                $"Worker:ClaimIdleTime ({ClaimIdleTime}) must be at least Worker:MaxAttemptTime ({MaxAttemptTime}) plus {ClaimMargin.TotalSeconds:0} seconds, so that a job still in flight is never taken over.",
                [nameof(ClaimIdleTime)]);
        }

        foreach (var network in AllowedPrivateNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                yield return new ValidationResult(
                    $"Worker:AllowedPrivateNetworks holds '{network}', which is not a network such as 10.20.0.0/16.",
                    [nameof(AllowedPrivateNetworks)]);
            }
        }

        if (SweepGrace < ClaimIdleTime)
        {
            yield return new ValidationResult(
                $"Worker:SweepGrace ({SweepGrace}) must be at least Worker:ClaimIdleTime ({ClaimIdleTime}), so that the sweep does not queue jobs that are only waiting to be claimed.",
                [nameof(SweepGrace)]);
        }
    }
}
