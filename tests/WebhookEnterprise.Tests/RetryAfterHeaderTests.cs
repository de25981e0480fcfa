using System.Globalization;
using WebhookEnterprise.Core;

namespace WebhookEnterprise.Tests;

/// <summary>A target's Retry-After, in seconds or as an HTTP date; anything else is ignored.</summary>
public sealed class RetryAfterHeaderTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 14, 2, 23, 50, TimeSpan.Zero);

    [Theory]
    [InlineData("120", 120)]
    [InlineData("0", 0)]
    [InlineData(" 30 ", 30)]
    public void Read_TakesSeconds(string value, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfterHeader.Read(value, Now));
    }

    [Fact]
    public void Read_TakesAnHttpDateAsTheTimeUntilThen()
    {
        var date = (Now + TimeSpan.FromSeconds(90)).ToString("r", CultureInfo.InvariantCulture);

        Assert.Equal(TimeSpan.FromSeconds(90), RetryAfterHeader.Read(date, Now));
    }

    [Fact]
    public void Read_TakesAPastDateAsNoWait()
    {
        var date = (Now - TimeSpan.FromHours(1)).ToString("r", CultureInfo.InvariantCulture);

        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.Read(date, Now));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    [InlineData("Tue, 99 Foo 2024 25:61:00 GMT")]
    [InlineData("")]
    [InlineData(null)]
    public void Read_IgnoresWhatItCannotRead(string? value)
    {
        Assert.Null(RetryAfterHeader.Read(value, Now));
    }
}
