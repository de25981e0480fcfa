using System.Text.Json;
using McMaster.Extensions.CommandLineUtils;
using WebhookEnterprise.Core;

namespace WebhookEnterprise.Cli;

/// <summary>How the command line prints: JSON indented by four, and plain aligned tables.</summary>
public static class Output
{
    private static readonly JsonWriterOptions PrettyOptions = new()
    {
        Indented = true,
        IndentSize = 4,
        Encoder = ReadableJsonEncoder.Instance,
    };

    public static string Pretty(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, PrettyOptions))
        {
            element.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static Task WritePrettyAsync(IConsole console, JsonElement element) =>
        console.Out.WriteLineAsync(Pretty(element));

    public static async Task WriteTableAsync(IConsole console, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = header.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            var cells = row.Select((cell, column) => column == row.Length - 1 ? cell : cell.PadRight(widths[column]));
            await console.Out.WriteLineAsync(string.Join("  ", cells));
        }
    }
}
