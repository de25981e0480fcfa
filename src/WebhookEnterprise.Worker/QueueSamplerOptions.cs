using System.ComponentModel.DataAnnotations;

namespace WebhookEnterprise.Worker;

/// <summary>Settings of <see cref="QueueSampler"/>, from the <c>Worker:QueueSampler</c> section.</summary>
public sealed class QueueSamplerOptions
{
    public const string SectionName = "Worker:QueueSampler";

    /// <summary>How often the queue sizes are read from Redis for the gauges.</summary>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}
