using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Runtime.InteropServices;
using McMaster.Extensions.CommandLineUtils;

namespace WebhookEnterprise.Bench.Commands;

[Command("machine",
    Description = "Describe the machine, and time how long the disk under a folder takes to flush an 8 KiB write.",
    ExtendedHelpText = """

    Example:
      bench machine --data-dir /var/tmp/pg --out machine.json \
        --postgres "$(postgres --version)" --redis "$(redis-server --version)" --wrk "$(wrk -v)"
    """)]
public sealed class MachineCommand(IConsole console)
{
    private const int ProbeWrites = 200;

    private static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(2);

    [Option("--data-dir", Description = "A folder on the file system Postgres keeps its data on.")]
    [Required]
    [DirectoryExists]
    public string DataDir { get; set; } = "";

    [Option("--postgres", Description = "Postgres's version line.")]
    public string Postgres { get; set; } = "";

    [Option("--redis", Description = "Redis's version line.")]
    public string Redis { get; set; } = "";

    [Option("--wrk", Description = "wrk's version line.")]
    public string Wrk { get; set; } = "";

    [Option("--file-system", Description = "Type of the file system under --data-dir.")]
    public string FileSystem { get; set; } = "";

    [Option("--out", Description = "Where to write the result as JSON.")]
    [Required]
    public string Out { get; set; } = "";

    private async Task<int> OnExecuteAsync()
    {
        var info = new MachineInfo(
            Environment.ProcessorCount,
            await ProcessorAsync(),
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            await OsAsync(),
            RuntimeInformation.FrameworkDescription,
            Postgres.Trim(),
            Redis.Trim(),
            Wrk.Trim(),
            FileSystem.Trim(),
            ProbeFlush());
        await BenchJson.WriteAsync(Out, info);
        await console.Out.WriteLineAsync(
            $"machine: {info.Cores} cores, {info.MemoryBytes / (1L << 30)} GiB; "
            + $"an 8 KiB write and fsync takes {info.FsyncLatency.P50Us} us (median)");

        return BenchCli.Ok;
    }

    private static async Task<string> OsAsync()
    {
        const string osRelease = "/etc/os-release";
        const string kernelRelease = "/proc/sys/kernel/osrelease";
        var kernel = File.Exists(kernelRelease)
            ? "Linux " + (await File.ReadAllTextAsync(kernelRelease)).Trim()
            : RuntimeInformation.OSDescription;
        var name = File.Exists(osRelease)
            ? (await File.ReadAllLinesAsync(osRelease))
                .Where(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                .Select(line => line["PRETTY_NAME=".Length..].Trim('"'))
                .FirstOrDefault()
            : null;

        return name is null ? kernel : $"{name}, {kernel}";
    }

    private static async Task<string> ProcessorAsync()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo))
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }

        var model = (await File.ReadAllLinesAsync(cpuInfo))
            .FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal));

        return model is null
            ? RuntimeInformation.ProcessArchitecture.ToString()
            : model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    /// <summary>
    /// Rewrites one 8 KiB block and flushes it to the disk, as a commit flushes the WAL, for at
    /// most <see cref="ProbeWrites"/> times or <see cref="ProbeLimit"/>. The median bounds how
    /// many commits one connection can make a second with durability on.
    /// </summary>
    private LatencySummary ProbeFlush()
    {
        var path = Path.Combine(DataDir, $"bench-fsync-probe-{Environment.ProcessId}");
        var block = new byte[8192];
        var samples = new List<long>(ProbeWrites);
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            var limit = Stopwatch.StartNew();
            while (samples.Count < ProbeWrites && limit.Elapsed < ProbeLimit)
            {
                var started = Stopwatch.GetTimestamp();
                file.Position = 0;
                file.Write(block);
                file.Flush(flushToDisk: true);
                samples.Add((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        }
        finally
        {
            File.Delete(path);
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);

        return LatencySummary.Of(sorted);
    }
}
