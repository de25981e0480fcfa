using System.Text.Json;

namespace WebhookEnterprise.Bench;

/// <summary>How every result file of the harness is written and read.</summary>
public static class BenchJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static async Task WriteAsync<T>(string path, T value)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, value, Options);
    }

    public static async Task<T?> ReadAsync<T>(string path)
    {
        if (!File.Exists(path))
        {
            return default;
        }

        await using var file = File.OpenRead(path);

        return await JsonSerializer.DeserializeAsync<T>(file, Options);
    }
}
