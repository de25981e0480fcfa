using WebhookEnterprise.Core;
using WebhookEnterprise.Worker;

namespace WebhookEnterprise.Tests;

/// <summary>What an attempt's outcome makes of a delivery: its state and the time of its next attempt.</summary>
public sealed class DeliveryDecisionTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 14, 2, 30, 0, TimeSpan.Zero);

    private static readonly RetryPolicy Linear = RetryPolicy.Default with { Interval = TimeSpan.FromSeconds(60), MaxAttempts = 3 };

    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    [InlineData(299)]
    public void Decide_A2xxAnswerSucceeds(int status)
    {
        var decision = DeliveryProcessor.Decide(Linear, 1, Answered(status, retryAfter: TimeSpan.FromMinutes(5)), Now, new Random(1));

        Assert.Equal((DeliveryState.Succeeded, (DateTimeOffset?)null), decision);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(404)]
    [InlineData(500)]
    public void Decide_AnyOtherAnswerRetriesAfterThePolicysWait(int status)
    {
        var decision = DeliveryProcessor.Decide(Linear, 1, Answered(status), Now, new Random(1));

        Assert.Equal((DeliveryState.Retrying, (DateTimeOffset?)(Now + TimeSpan.FromSeconds(60))), decision);
    }

    [Fact]
    public void Decide_AnErrorWithoutAnswerRetries()
    {
        var error = new AttemptError(AttemptErrorKind.Timeout, "Too slow.");
        var timedOut = new AttemptOutcome("POST", "http://127.0.0.1/hook", null, error, TimeSpan.FromSeconds(30));

        var decision = DeliveryProcessor.Decide(Linear, 2, timedOut, Now, new Random(1));

        Assert.Equal((DeliveryState.Retrying, (DateTimeOffset?)(Now + TimeSpan.FromSeconds(60))), decision);
    }

    [Fact]
    public void Decide_TheLastFailedAttemptFailsTheDelivery()
    {
        var decision = DeliveryProcessor.Decide(Linear, 3, Answered(503, retryAfter: TimeSpan.FromSeconds(10)), Now, new Random(1));

        Assert.Equal((DeliveryState.Failed, (DateTimeOffset?)null), decision);
    }

    [Fact]
    public void Decide_RetryAfterSetsTheLeastWait()
    {
        var decision = DeliveryProcessor.Decide(Linear, 1, Answered(503, retryAfter: TimeSpan.FromMinutes(5)), Now, new Random(1));

        Assert.Equal((DeliveryState.Retrying, (DateTimeOffset?)(Now + TimeSpan.FromMinutes(5))), decision);
    }

    [Fact]
    public void Decide_ExponentialRetriesWithinItsJitteredWindow()
    {
        var policy = RetryPolicy.Default with
        {
            Kind = RetryPolicyKind.Exponential,
            Interval = TimeSpan.FromSeconds(10),
            MaxInterval = TimeSpan.FromMinutes(1),
        };

        var (state, next) = DeliveryProcessor.Decide(policy, 3, Answered(500), Now, new Random(7));

        Assert.Equal(DeliveryState.Retrying, state);
        Assert.InRange(next!.Value, Now + TimeSpan.FromSeconds(20), Now + TimeSpan.FromSeconds(40));
    }

    private static AttemptOutcome Answered(int status, TimeSpan? retryAfter = null)
    {
        var answer = new TargetAnswer(status, [], [], 0, null, null, null, retryAfter);

        return new AttemptOutcome("POST", "http://127.0.0.1/hook", answer, null, TimeSpan.FromMilliseconds(5));
    }
}
