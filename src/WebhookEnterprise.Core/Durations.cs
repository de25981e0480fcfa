using System.Globalization;

namespace WebhookEnterprise.Core;

/// <summary>Durations as operators write them: <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, <c>1d</c>.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        var unitStart = 0;
        while (unitStart < trimmed.Length && char.IsAsciiDigit(trimmed[unitStart]))
        {
            unitStart++;
        }

        if (unitStart == 0 || !long.TryParse(trimmed[..unitStart], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        double? milliseconds = trimmed[unitStart..] switch
        {
            "ms" => amount,
            "s" or "" => amount * 1_000.0,
            "m" => amount * 60_000.0,
            "h" => amount * 3_600_000.0,
            "d" => amount * 86_400_000.0,
            _ => null,
        };

        if (milliseconds is not { } ms || ms > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);

        return true;
    }

    public static string Format(TimeSpan duration)
    {
        var ms = (long)duration.TotalMilliseconds;

        return ms switch
        {
            0 => "0s",
            _ when ms % 86_400_000 == 0 => $"{ms / 86_400_000}d",
            _ when ms % 3_600_000 == 0 => $"{ms / 3_600_000}h",
            _ when ms % 60_000 == 0 => $"{ms / 60_000}m",
            _ when ms % 1_000 == 0 => $"{ms / 1_000}s",
            _ => $"{ms}ms",
        };
    }
}
