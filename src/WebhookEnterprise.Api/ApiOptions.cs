using System.ComponentModel.DataAnnotations;

namespace WebhookEnterprise.Api;

/// <summary>Settings of the api process, from the <c>Api</c> section or <c>Api__*</c> variables.</summary>
public sealed class ApiOptions : IValidatableObject
{
    public const string SectionName = "Api";

    public const string DefaultUrl = "http://0.0.0.0:4698";

    /// <summary>
    /// The base of the URLs that <c>source add</c> prints, as senders reach the api. When unset,
    /// the address the api serves.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// The token the management API asks for as <c>Authorization: Bearer</c>. When unset, only
    /// callers on loopback may manage the gateway. Also read from <c>WEBHOOK_ADMIN_TOKEN</c>.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>
    /// The largest body ingress accepts, in bytes. Larger ones are answered 413: at once when
    /// their <c>Content-Length</c> says so, else as soon as this much has arrived.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>How long a sender may take over the request line and headers before the connection is closed.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a sender may take over a whole body, however steadily it sends; then it gets 408.</summary>
    public TimeSpan BodyReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The slowest a body may arrive, in bytes per second, once <see cref="MinBodyRateGracePeriod"/>
    /// has passed; a slower sender is answered 408 and disconnected.
    /// </summary>
    [Range(0, double.MaxValue)]
    public double MinBodyBytesPerSecond { get; set; } = 240;

    /// <summary>
    /// How long a body may arrive slower than <see cref="MinBodyBytesPerSecond"/>, as when a
    /// connection starts; over a second.
    /// </summary>
    public TimeSpan MinBodyRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long ingress goes on reading, and throwing away, the rest of a body after answering
    /// 413. Many clients read the answer only after sending everything; closing the connection
    /// under them shows them a broken pipe instead of the 413.
    /// </summary>
    public TimeSpan RefusedBodyDrainTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long ingress keeps a source it looked up. Changes made through the management API
    /// reach every api process at once; this bounds how long one made while Redis was
    /// unreachable goes unseen.
    /// </summary>
    public TimeSpan SourceCacheTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many commits of received messages may run at once. Messages that arrive while all
    /// of them run wait and go together in the next commit.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Api:IngestWriters must be between {1} and {2}.")]
    public int IngestWriters { get; set; } = 4;

    /// <summary>The most messages committed together.</summary>
    [Range(1, 10_000, ErrorMessage = "Api:MaxIngestBatch must be between {1} and {2}.")]
    public int MaxIngestBatch { get; set; } = 256;

    /// <summary>
    /// The most body bytes committed together: a commit takes no further message once its
    /// bodies reach this, and always takes at least one.
    /// </summary>
    [Range(1, long.MaxValue, ErrorMessage = "Api:MaxIngestBatchBytes must be at least {1}.")]
    public long MaxIngestBatchBytes { get; set; } = 4 * 1024 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinBodyRateGracePeriod <= TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult(
                $"Api:MinBodyRateGracePeriod ({MinBodyRateGracePeriod}) must be over one second, "
                    + "the interval at which the server checks data rates.",
                [nameof(MinBodyRateGracePeriod)]);
        }

        (string Name, TimeSpan Value)[] timeouts =
        [
            (nameof(RequestHeadersTimeout), RequestHeadersTimeout),
            (nameof(BodyReadTimeout), BodyReadTimeout),
        ];
        foreach (var (name, value) in timeouts)
        {
            if (value <= TimeSpan.Zero)
            {
                yield return new ValidationResult($"Api:{name} ({value}) must be longer than zero.", [name]);
            }
        }

        if (SourceCacheTime < TimeSpan.Zero)
        {
            yield return new ValidationResult(
                $"Api:SourceCacheTime ({SourceCacheTime}) must be zero, to look every source up, or longer.",
                [nameof(SourceCacheTime)]);
        }
    }
}
