using WebhookEnterprise.Core;

namespace WebhookEnterprise.Tests;

/// <summary>How long each retry policy waits after a failed attempt, and when it stops.</summary>
public sealed class RetryPolicyTests
{
    private static readonly Random Seeded = new(4698);

    [Fact]
    public void Default_IsLinearEverySixtySecondsForTenAttempts()
    {
        var policy = RetryPolicy.Default;

        Assert.Equal(RetryPolicyKind.Linear, policy.Kind);
        Assert.Equal(10, policy.AttemptLimit);
        Assert.All(Enumerable.Range(1, 9), attempt => Assert.Equal(TimeSpan.FromSeconds(60), policy.DelayAfter(attempt, null, Seeded)));
        Assert.Null(policy.DelayAfter(10, null, Seeded));
    }

    [Fact]
    public void Linear_WaitsItsIntervalUntilTheLastAttempt()
    {
        var policy = Policy(RetryPolicyKind.Linear, interval: TimeSpan.FromSeconds(5), maxAttempts: 3);

        Assert.Equal(TimeSpan.FromSeconds(5), policy.DelayAfter(1, null, Seeded));
        Assert.Equal(TimeSpan.FromSeconds(5), policy.DelayAfter(2, null, Seeded));
        Assert.Null(policy.DelayAfter(3, null, Seeded));
    }

    [Fact]
    public void Exponential_DoublesFromTheFirstIntervalUpToTheCap_WithJitterInTheUpperHalf()
    {
        var policy = Policy(RetryPolicyKind.Exponential, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), maxAttempts: 100);

        foreach (var (attempt, plannedSeconds) in new[] { (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (6, 10.0), (99, 10.0) })
        {
            var waits = Enumerable.Range(0, 200).Select(_ => policy.DelayAfter(attempt, null, Seeded)!.Value.TotalSeconds).ToList();

            Assert.All(waits, wait => Assert.InRange(wait, plannedSeconds / 2, plannedSeconds));
            Assert.True(waits.Distinct().Count() > 100, $"Attempt {attempt}: the waits are not spread out.");
        }

        Assert.Null(policy.DelayAfter(100, null, Seeded));
    }

    [Fact]
    public void Schedule_FollowsItsStepsAndStopsAfterTheLast()
    {
        var steps = new[] { "5s", "30s", "2m", "10m" }.Select(Duration).ToArray();
        var policy = Policy(RetryPolicyKind.Schedule, schedule: steps, maxAttempts: 10);

        Assert.Equal(5, policy.AttemptLimit);
        Assert.Equal(steps, Enumerable.Range(1, 4).Select(attempt => policy.DelayAfter(attempt, null, Seeded)!.Value));
        Assert.Null(policy.DelayAfter(5, null, Seeded));
    }

    [Fact]
    public void Schedule_StopsEarlierWhenMaxAttemptsSaysSo()
    {
        var policy = Policy(RetryPolicyKind.Schedule, schedule: [Duration("5s"), Duration("30s"), Duration("2m")], maxAttempts: 2);

        Assert.Equal(Duration("5s"), policy.DelayAfter(1, null, Seeded));
        Assert.Null(policy.DelayAfter(2, null, Seeded));
    }

    [Fact]
    public void None_MakesOneAttemptWhateverMaxAttemptsSays()
    {
        var policy = Policy(RetryPolicyKind.None, maxAttempts: 10);

        Assert.Equal(1, policy.AttemptLimit);
        Assert.Null(policy.DelayAfter(1, TimeSpan.FromSeconds(5), Seeded));
    }

    [Fact]
    public void RetryAfter_LengthensTheWaitButNeverShortensIt()
    {
        var policy = Policy(RetryPolicyKind.Linear, interval: TimeSpan.FromSeconds(60), maxAttempts: 5);

        Assert.Equal(TimeSpan.FromSeconds(120), policy.DelayAfter(1, TimeSpan.FromSeconds(120), Seeded));
        Assert.Equal(TimeSpan.FromSeconds(60), policy.DelayAfter(1, TimeSpan.FromSeconds(10), Seeded));
        Assert.Equal(TimeSpan.FromSeconds(60), policy.DelayAfter(1, TimeSpan.Zero, Seeded));
    }

    [Fact]
    public void RetryAfter_IsCappedAndAddsNoAttempt()
    {
        var policy = Policy(RetryPolicyKind.Linear, interval: TimeSpan.FromSeconds(60), maxAttempts: 2);

        Assert.Equal(RetryPolicy.RetryAfterCap, policy.DelayAfter(1, TimeSpan.FromDays(2), Seeded));
        Assert.Null(policy.DelayAfter(2, TimeSpan.FromSeconds(30), Seeded));
    }

    [Theory]
    [InlineData("linear", RetryPolicyKind.Linear)]
    [InlineData("Exponential", RetryPolicyKind.Exponential)]
    [InlineData("SCHEDULE", RetryPolicyKind.Schedule)]
    [InlineData("none", RetryPolicyKind.None)]
    public void TryParseKind_TakesEachNameInAnyCase(string text, RetryPolicyKind expected)
    {
        Assert.True(RetryPolicy.TryParseKind(text, out var kind));
        Assert.Equal(expected, kind);
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParseKind_RefusesAnythingElse(string? text)
    {
        Assert.False(RetryPolicy.TryParseKind(text, out _));
    }

    private static RetryPolicy Policy(
        RetryPolicyKind kind,
        TimeSpan? interval = null,
        TimeSpan? maxInterval = null,
        TimeSpan[]? schedule = null,
        int maxAttempts = RetryPolicy.DefaultMaxAttempts) =>
        new(kind, interval ?? RetryPolicy.DefaultInterval, maxInterval ?? RetryPolicy.DefaultMaxInterval, schedule ?? [], maxAttempts);

    private static TimeSpan Duration(string text) =>
        Durations.TryParse(text, out var duration) ? duration : throw new ArgumentException(text);
}
